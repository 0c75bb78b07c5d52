"""`linli summary` and `linli export`: the weekly summary and the open exports from a shell.

The database URL and the time zone come from the settings (.env); exit code 2 means bad input
or settings.
"""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from bot.cli.common import current_settings, fail, open_database, write_file
from bot.export import ExportFormat, export_week, open311_services_json
from bot.public_render import public_json
from bot.settings import Settings
from nlp.categories import Category, category_name, load_model_categories
from storage.deadlines import Limits
from storage.public import CannotPublish, WeekNotOver, public_digest
from storage.summary import InvalidWeek, IsoWeek, parse_week, week_requests, weekly_summary

summary_app = typer.Typer(help="The weekly need summary and open-data exports.")


class ExportChoice(enum.StrEnum):
    """`--format`: bot.export's formats, and `public`, the anonymised weekly digest
    (storage.public, bot.public_render), which is not an export of requests."""

    OPEN311 = ExportFormat.OPEN311.value
    OPEN311_SERVICES = ExportFormat.OPEN311_SERVICES.value
    CSV = ExportFormat.CSV.value
    PUBLIC = "public"


WEEK_HELP = (
    "ISO week like 2026-W47 (years 2000-2100, not in the future), or 'last'; default: this week"
    " so far (local time)."
)


@contextmanager
def _week_session(week: str | None) -> Iterator[tuple[Settings, Session, IsoWeek]]:
    """The settings, a session on the database and the week asked for (bad input: one line)."""
    settings = current_settings()
    try:
        iso = parse_week(week, datetime.now(settings.tz).date())
    except InvalidWeek as exc:
        raise fail(str(exc)) from None
    with open_database(settings) as database, database.session() as session:
        yield settings, session, iso


def _model_categories(settings: Settings) -> tuple[Category, ...]:
    """The configured model's categories, its label names (城乡建设) made known to
    `category_name`; read from the model's meta, without loading spaCy."""
    return load_model_categories(settings.linli_model)


@summary_app.command("summary")
def summary_command(
    week: Annotated[str | None, typer.Option("--week", help=WEEK_HELP)] = None,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="Also write the workbook here.")
    ] = None,
    png: Annotated[Path | None, typer.Option("--png", help="Also write the chart here.")] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON instead of text.")
    ] = False,
) -> None:
    """Print the weekly need summary; optionally write its chart and workbook."""
    # Lazy: the chart and the workbook load matplotlib and openpyxl, too slow for `linli --help`.
    from bot.summary_render import plain_text, render_chart, render_text, render_workbook

    with _week_session(week) as (settings, session, iso):
        categories = _model_categories(settings)
        summary = weekly_summary(
            session, week=iso, tz=settings.tz, limits=Limits.from_settings(settings)
        )
        raw = week_requests(session, week=iso, tz=settings.tz) if xlsx else []
    if json_output:
        data = summary.to_dict()
        # The codes are stable identifiers; the names say what they are (城乡建设 for l_...).
        names = {category.code: category.name for category in categories}
        for row in summary.categories:
            names.setdefault(row.category, category_name(row.category))
        data["category_names"] = names
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        typer.echo(plain_text(render_text(summary, category_name)))
    if png is not None:
        write_file(png, render_chart(summary, category_name))
    if xlsx is not None:
        write_file(xlsx, render_workbook(summary, raw, category_name))


@summary_app.command("export")
def export_command(
    week: Annotated[str | None, typer.Option("--week", help=WEEK_HELP)] = None,
    fmt: Annotated[
        ExportChoice,
        typer.Option(
            "--format",
            help="open311 (GeoReport v2 service requests, JSON), open311-services (the GeoReport"
            " v2 service list: one service per category; no week), csv, or public (the"
            " anonymised weekly digest, JSON: counts by 社区 and category, each under 5 shown"
            " '<5', and the organisations' rates; only a week that has ended, default last).",
            case_sensitive=False,
        ),
    ] = ExportChoice.OPEN311,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (default: standard output).")
    ] = None,
) -> None:
    """Export a week's requests (personal data masked), the service list, or the public digest.

    `--format public` writes the anonymised digest of a finished week (信息公开).
    """
    categories = _model_categories(current_settings())
    if fmt is ExportChoice.PUBLIC:
        text = _public_digest_json(week, categories)
    elif not ExportFormat(fmt.value).weekly:
        text = open311_services_json(categories)  # the categories: no database needed
    else:
        with _week_session(week) as (settings, session, iso):
            text = export_week(
                session,
                week=iso,
                tz=settings.tz,
                fmt=ExportFormat(fmt.value),
                category_name=category_name,
                limits=Limits.from_settings(settings),
            )
    if out is None:
        sys.stdout.write(text.removeprefix("\ufeff") + ("" if text.endswith("\n") else "\n"))
    else:
        write_file(out, text.encode("utf-8"))


def _public_digest_json(week: str | None, categories: tuple[Category, ...]) -> str:
    """The public digest of `week` (default: last week) as JSON; a week not over: one line."""
    with _week_session(week or "last") as (settings, session, iso):
        try:
            digest = public_digest(
                session,
                week=iso,
                tz=settings.tz,
                categories=[category.code for category in categories],
                limits=Limits.from_settings(settings),
            )
        except (WeekNotOver, CannotPublish) as exc:
            raise fail(str(exc)) from None
    return public_json(digest, category_name)
