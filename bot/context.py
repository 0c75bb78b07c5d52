"""Typed access to the services every handler needs (no globals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import CallbackContext, ExtBot

from bot.settings import Settings
from nlp.categories import Category
from nlp.classifier import Classifier
from nlp.intent import IntentClassifier
from storage.db import Database


@dataclass
class Services:
    """Built in `post_init`, torn down in `post_shutdown`."""

    settings: Settings
    db: Database
    classifier: Classifier
    categories: tuple[Category, ...]
    intents: IntentClassifier

    def category_name(self, code: str) -> str:
        for category in self.categories:
            if category.code == code:
                return category.name
        return code

    def is_category(self, code: str) -> bool:
        return any(category.code == code for category in self.categories)


class BotData:
    """`context.bot_data`: PTB builds it empty; `post_init` fills in the services."""

    def __init__(self) -> None:
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("services are not ready: post_init has not run")
        return self._services

    @services.setter
    def services(self, value: Services | None) -> None:
        self._services = value


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
