"""The top layer of linli: Telegram, the command line, and every word a person reads.

`app` builds the application (handlers in one ordered list), `handlers/` holds one module per
feature, `notices` words what storage queued and `notifier` sends it, `callbacks` encodes every
button, `refusals` words the domain's refusals, `texts/` holds the strings, `cli/` is `linli`.
It imports storage and nlp; neither imports it (import-linter checks this in CI).
"""

import os

# PTB 22 opts in to `timedelta` values for RetryAfter.retry_after with this variable; without it,
# every 429 raises a deprecation warning. Set before telegram is imported anywhere.
os.environ.setdefault("PTB_TIMEDELTA", "1")
