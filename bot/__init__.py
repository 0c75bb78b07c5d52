"""Telegram adapter of linli: handlers, conversation, application factory and CLI."""

import os

# PTB 22 opts in to `timedelta` values for RetryAfter.retry_after with this variable; without it,
# every 429 raises a deprecation warning. Set before telegram is imported anywhere.
os.environ.setdefault("PTB_TIMEDELTA", "1")
