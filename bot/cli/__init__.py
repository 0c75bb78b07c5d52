"""The `linli` command: the entry to everything (bot, database, classifier, chat).

One module a command group: run, chat (its terminal loop in chat_terminal), nlp (classify,
train, evaluate), summary (summary, export), db and org; common holds what they share.
"""

from __future__ import annotations

import sys

import typer

from bot.cli.chat import chat_app
from bot.cli.contract import contract_app
from bot.cli.db import db_app
from bot.cli.nlp import nlp_app
from bot.cli.org import org_app
from bot.cli.performance import performance_app
from bot.cli.places import places_app
from bot.cli.run import run_app
from bot.cli.summary import summary_app
from bot.settings import SettingsError

app = typer.Typer(
    help="linli (邻里): a Telegram bot that files residents' needs for community organisations.",
    no_args_is_help=True,
    add_completion=False,
)
# Without a name a group's commands join `linli` itself; the order is the order of `--help`.
for group in (run_app, chat_app, nlp_app, summary_app):
    app.add_typer(group)
app.add_typer(performance_app)  # `linli performance` (a command of its own, no group)
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(contract_app, name="contract")
app.add_typer(places_app, name="places")


def main() -> None:
    """Console entry point."""
    try:
        app()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
