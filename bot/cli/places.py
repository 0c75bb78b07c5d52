"""`linli places ...`: the gazetteer (街道 -> 社区 -> 小区 with aliases), for scripting.

`import FILE.csv` adds and updates (columns street,community,compound,aliases; aliases split
by '|'; one 小区 per 社区 + 小区, its aliases replaced) and then re-matches stored requests and
residents; a malformed file is refused with its line and nothing changes. `list` prints the
gazetteer, `rematch` matches stored places again. Output is plain and stable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlmodel import Session

from bot.cli.common import current_settings, fail, open_database
from bot.settings import Settings
from storage import gazetteer
from storage.errors import InvalidInput
from storage.requests import places as place_rules

places_app = typer.Typer(
    help="The gazetteer of 街道, 社区 and 小区: import a CSV, list it, re-match stored places.",
    no_args_is_help=True,
)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise fail(f"no such file: {path}") from None
    except UnicodeDecodeError:
        raise fail(f"{path} is not UTF-8 text (save the CSV as UTF-8)") from None
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror}") from None


@places_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV: street,community,compound,aliases (a|b|c).")],
) -> None:
    """Add or update the gazetteer from a CSV, then re-match stored requests and residents."""
    try:
        rows = gazetteer.parse_csv(_read(file))
    except InvalidInput as exc:
        raise fail(f"{file}: {exc}; nothing was imported") from None
    with open_database(current_settings()) as database, database.session() as session:
        result = place_rules.import_places(session, rows)
    typer.echo(
        f"imported {len(rows)} places from {file}: {result.added} added, "
        f"{result.updated} updated, {result.unchanged} unchanged"
    )
    typer.echo(
        f"re-matched {result.requests_matched} requests and "
        f"{result.residents_matched} residents to the canonical place"
    )


def _listing(session: Session) -> list[dict[str, Any]]:
    return [
        {
            "street": view.street,
            "community": view.community,
            "compounds": [
                {"id": place_id, "compound": name, "aliases": list(aliases)}
                for place_id, name, aliases in view.compounds
            ],
        }
        for view in gazetteer.overview(session)
    ]


@places_app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """The gazetteer by 街道 and 社区: each 小区 with its number and aliases."""
    with open_database(current_settings()) as database, database.session() as session:
        rows = _listing(session)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("the gazetteer is empty: `linli places import FILE.csv`")
        return
    for row in rows:
        typer.echo(f"{row['street']} / {row['community']}")
        for item in row["compounds"]:
            aliases = "|".join(item["aliases"])
            typer.echo(f"  {item['id']}\t{item['compound']}" + (f"\t{aliases}" if aliases else ""))


@places_app.command("rematch")
def rematch() -> None:
    """Match the stored places of requests and residents again (after editing the table)."""
    with open_database(current_settings()) as database, database.session() as session:
        result = place_rules.rematch(session)
    typer.echo(
        f"re-matched {result.requests} requests and {result.residents} residents "
        "to the canonical place"
    )


SAMPLE_LOADED = (
    "地名册是空的，已载入示例：成都市武侯区玉林街道的 {count} 个小区（linli places list 查看）。"
)


def load_sample_if_empty(settings: Settings) -> str | None:
    """For `linli chat`: load the shipped sample street when the gazetteer is empty; the line
    to show when it did (None when the table already had places)."""
    with open_database(settings) as database, database.session() as session:
        added = gazetteer.load_csv_if_empty(session, gazetteer.SAMPLE.read_text(encoding="utf-8"))
    return SAMPLE_LOADED.format(count=added) if added else None
