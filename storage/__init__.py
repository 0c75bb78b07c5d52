"""The middle layer of linli: tables, data access and the domain's rules, without Telegram.

Plain functions over SQLModel sessions that take keyword arguments, raise storage.errors and
return plain data. `requests/` holds a request's life; `organisations`, `drafts`, `residents`,
`privacy` the people; `deadlines` the working-day limits; `notices` and `outbox` what to tell
whom (queued with the change, worded by the bot); `summary/` the weekly figures. It imports nlp,
never bot.
"""
