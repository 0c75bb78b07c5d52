"""A request's life, one room per part of it.

- `records`: finding a request, its events, views of it, the one conditional UPDATE that
  changes it, and telling the people who follow it (the filer, supporters, staff);
- `filing`: a resident files, lists and withdraws requests;
- `cards`: new requests pushed to staff in scope, and closed once taken;
- `claims`: the queue, claiming, notes, resolving, release (the staff's work);
- `feedback`: the resident's 回访 (solved? stars);
- `dispatch`: an admin assigns or reclassifies;
- `duplicates`: near-duplicates, 我也遇到了, merging;
- `blacklisting`: barring an organisation and restoring it;
- `reminders`: the periodic check of time limits (催办, overdue notices) and the daily digest.

Imports go one way: records <- cards <- filing, claims, feedback, dispatch, duplicates <-
blacklisting, reminders.
"""
