"""Telegram adapter of linli: handlers, conversation, application factory and CLI."""
