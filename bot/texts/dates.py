"""Moments and deadlines as people say them (issue 11: "下班前", not "12月14日 00:00")."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from storage.deadlines import CALENDAR

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
# A deadline in plain words: "12月11日（周五）14:30前"; one due at midnight is the end of the
# last working day before it: "12月11日（周五）下班前".
DEADLINE_AT = "{month}月{day}日（{weekday}）{hour:02d}:{minute:02d}前"
DEADLINE_DAY = "{month}月{day}日（{weekday}）下班前"


def deadline_words(due: datetime, tz: tzinfo) -> str:
    """A deadline as a resident or social worker reads it: "12月11日（周五）14:30前"; one due
    at midnight ends the last working day before it: "12月11日（周五）下班前" (due Monday 00:00)."""
    local = due.astimezone(tz)
    if local.hour == 0 and local.minute == 0:
        day = local.date() - timedelta(days=1)
        while not CALENDAR.is_workday(day):
            day -= timedelta(days=1)
        return DEADLINE_DAY.format(month=day.month, day=day.day, weekday=WEEKDAYS[day.weekday()])
    return DEADLINE_AT.format(
        month=local.month,
        day=local.day,
        weekday=WEEKDAYS[local.weekday()],
        hour=local.hour,
        minute=local.minute,
    )
