"""Thin Telegram handlers: parse, call one domain function, render."""
