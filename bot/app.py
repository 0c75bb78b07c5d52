"""The one application factory, used by `linli run`, `linli chat` and the tests."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

from bot import notifier, texts
from bot.context import BotData, Context, Services
from bot.handlers import (
    admin,
    draft_buttons,
    extensions,
    feedback,
    guards,
    membership,
    merge,
    my_requests,
    neworg,
    oversight,
    places,
    privacy,
    public,
    resident,
    roles,
    staff,
    thread_buttons,
)
from bot.handlers import contracts as contract_handlers
from bot.handlers import performance as performance_handlers
from bot.handlers import summary as summary_handlers
from bot.logs import describe_failure
from bot.settings import Settings, SettingsError
from nlp.categories import model_categories
from nlp.classifier import Classifier
from nlp.intent import IntentClassifier
from storage.db import Database, prepare_schema

log = logging.getLogger(__name__)


def build_application(
    settings: Settings,
    *,
    token: str | None = None,
    classifier: Classifier | None = None,
    database: Database | None = None,
    intents: IntentClassifier | None = None,
    rate_limit: bool = True,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """Build the bot: services are created in post_init and closed in post_shutdown.

    `classifier`, `intents` and `database` may be passed in (tests share the loaded models);
    otherwise they are built from the settings.
    """

    async def post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        db = database or Database(settings.database_url)
        prepare_schema(db.engine)
        model = classifier or Classifier.load(
            settings.linli_model, threshold=settings.confidence_threshold
        )
        app.bot_data.services = Services(
            settings=settings,
            db=db,
            classifier=model,
            # A model trained on its own labels (城乡建设) brings their names (test doubles
            # that never classify have none).
            categories=model_categories(
                getattr(model, "labels", ()), getattr(model, "label_names", {})
            ),
            intents=intents or IntentClassifier.load(settings.linli_intent_model),
        )
        # The residents' menu for everyone; staff and admins get their own (bot.handlers.roles).
        await roles.set_menus(app.bot, app.bot_data.services)
        loop = type(asyncio.get_running_loop()).__module__.split(".")[0]
        log.info("linli is ready (database %s, event loop %s)", db.engine.dialect.name, loop)

    async def post_shutdown(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        bot_data: BotData = app.bot_data
        if bot_data._services is not None and database is None:
            bot_data.services.db.dispose()
        bot_data.services = None

    # The builder's generics do not survive rate_limiter(); the application is typed below.
    builder: Any = (
        ApplicationBuilder()
        .token(token or settings.require_token())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .context_types(ContextTypes(bot_data=BotData))
        .concurrent_updates(True)
        # httpcore's pool does work quadratic in its size for every request: a few kept-alive
        # connections serve hundreds of sends a second; a request waits for a free one.
        .connection_pool_size(16)
        .pool_timeout(30.0)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if rate_limit and settings.telegram_rate_limit:
        # A handler's reply waits out a short retry_after (up to 3 times) rather than fail; the
        # outbox worker bounds each send by its lease (bot.notifier), whatever the limiter does.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    app: Application[Any, Any, Any, Any, Any, Any] = builder.build()

    # Handlers, in order. Groups run in ascending order; within a group the first match wins,
    # and ApplicationHandlerStop ends the update.
    flood, groups, edits = guards.early_handlers(settings)
    app.add_handler(flood, group=-3)  # per-user flood limit, for every update
    app.add_handler(groups, group=-2)  # group chats: told once to talk in private, then ignored
    app.add_handler(edits, group=-1)  # edited messages: answered, never run again
    # An admin's typed /newcontract answer, which goes no further; other text goes on.
    app.add_handlers(contract_handlers.message_handlers(), group=-1)
    handlers = [
        # Group 0: commands and buttons of every role ...
        *roles.command_handlers(),  # /start, /help (帮助, also typed), /join: by role, with menus
        *resident.command_handlers(),  # 提交需求 (also typed)
        *my_requests.command_handlers(),  # /my (我的需求), /cancel [N]
        *draft_buttons.button_handlers(),  # d:... the draft's buttons
        *feedback.button_handlers(),  # f:... the resident's 是/否 and stars
        *thread_buttons.button_handlers(),  # t:... the resident's choices about a request
        *staff.command_handlers(),  # /join /queue /claim /mine /done /release /note /notify
        *extensions.command_handlers(),  # /extend, e:... 同意/不同意, r:... release reasons
        *admin.command_handlers(),  # /orgs /invite /blacklist /unblacklist /reclassify /assign
        *neworg.command_handlers(),  # /neworg and its o:... buttons
        *membership.command_handlers(),  # /removestaff /leave /scope, w:... and s:... buttons
        *privacy.command_handlers(),  # /mydata, /forgetme, forget:yes|no
        *summary_handlers.command_handlers(),  # /summary
        *merge.command_handlers(),  # /merge
        *oversight.command_handlers(),  # /show /overdue /unclaimed /urge, l:... and v:...
        *performance_handlers.command_handlers(),  # /performance and its y:... buttons
        *places.command_handlers(),  # /places and its z:... buttons (the gazetteer)
        *contract_handlers.command_handlers(),  # /contracts /newcontract, j:... and k:...
        # ... then free text: an admin's /neworg dialogue step, else the resident's input
        # (text, photo, location, contact) ...
        *performance_handlers.message_handlers(),  # dates typed for /performance's 输入日期
        *neworg.message_handlers(),
        *resident.message_handlers(),
        # ... and last whatever nobody handled: unknown commands, stickers, stray buttons.
        *guards.fallback_handlers(),
    ]
    app.add_handlers(handlers)
    app.add_error_handler(on_error)
    # Jobs: the outbox worker and the deadline checks; the weekly summary (each runs once
    # whatever the number of bot processes: leases and dedupe keys in the database).
    notifier.schedule_jobs(app)
    summary_handlers.schedule_summary_job(app, settings)
    public.schedule_public_job(app, settings)  # 信息公开: only with PUBLIC_CHANNEL_ID
    return app


async def on_error(update: object, context: Context) -> None:
    """Log the failure (no user text, no update dump) and apologise to the user."""
    number = update.update_id if isinstance(update, Update) else None
    if context.error is None:
        log.error("update %s failed", number)
    else:
        log.error("update %s failed: %s", number, describe_failure(context.error))
    if isinstance(update, Update):
        if update.callback_query is not None:
            try:
                await update.callback_query.answer(texts.ERROR)
            except Exception:
                log.debug("could not answer the callback query")
        elif update.effective_chat is not None:
            try:
                await context.bot.send_message(
                    update.effective_chat.id, texts.ERROR, parse_mode=ParseMode.HTML
                )
            except Exception:
                log.debug("could not send the apology")


async def start_application(
    app: Application[Any, Any, Any, Any, Any, Any], *, poll_timeout: int = 10
) -> None:
    """Start like `run_polling` does (post_init included) but return, for tests and `linli chat`."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(timeout=poll_timeout, poll_interval=0)
    await app.start()


WEBHOOK_PATH = "telegram"


def webhook_options(settings: Settings) -> dict[str, Any]:
    """Arguments for run_webhook/start_webhook; the secret token is mandatory.

    PTB's webhook server answers 403 to any request whose X-Telegram-Bot-Api-Secret-Token
    header is missing or wrong, so only Telegram (which we told the secret) gets through.
    """
    if not settings.webhook_url:
        raise SettingsError("WEBHOOK_URL is not set: the public https URL Telegram should call")
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not secret:
        raise SettingsError(
            "WEBHOOK_SECRET is not set: 1-256 characters A-Z a-z 0-9 _ -, known only to Telegram"
        )
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": WEBHOOK_PATH,
        "webhook_url": settings.webhook_url.rstrip("/") + "/" + WEBHOOK_PATH,
        "secret_token": secret,
    }


async def start_webhook_application(
    app: Application[Any, Any, Any, Any, Any, Any], settings: Settings
) -> None:
    """Like `start_application`, receiving updates by webhook instead of polling."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_webhook(**webhook_options(settings))
    await app.start()


async def stop_application(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Stop what `start_application` started, post_shutdown included."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
