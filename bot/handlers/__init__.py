"""Thin Telegram handlers, one module per feature: parse, call one domain function, render.

resident, draft_steps, draft_views, draft_buttons (the need dialogue), my_requests, feedback,
privacy, staff (+ staff_views), admin (+ admin_views), neworg, merge, summary; the guards every
command repeats are decorators in `common` (`command`, `button`), the cross-cutting ones (flood
limit, groups, stray input) in `guards`, one domain call as staff or admin in `acting`.
"""
