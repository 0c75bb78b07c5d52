"""`linli performance`: the evaluation pack (绩效评价) of a service contract or an organisation.

    linli performance --contract 7 --from 2027-01-01 --to 2027-03-31
    linli performance --org 玉林社工站 --period 2027-Q1 --json
    linli performance --contract 7 --period contract --xlsx pack.xlsx --pdf pack.pdf

Prints the figures as a table (or, with --json, the pack as JSON), and writes the workbook and
the PDF: to --xlsx/--pdf, else under their default names (绩效评价-合同7-2027-01-01-2027-03-31.xlsx)
in the current folder; --no-files writes neither. Exit code 2: bad input or settings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import current_settings, fail, open_database, write_file
from nlp.categories import category_name, load_model_categories
from storage.deadlines import Limits
from storage.errors import NotFound
from storage.performance import InvalidPeriod, Period, Subject, periods
from storage.performance.pack import build_pack, contract_subject, organisation_subject

performance_app = typer.Typer(help="The evaluation pack (绩效评价) of a contract or organisation.")

PERIOD_HELP = (
    "A month (2027-03), a quarter (2027-Q1) or 'contract' (the contract's whole term), "
    "instead of --from/--to."
)


def _period(subject: Subject, period: str | None, first: str | None, last: str | None) -> Period:
    """The period asked for: --period, or both --from and --to (bad input: one line)."""
    if period is not None and (first or last):
        raise fail("give either --period or --from/--to, not both")
    try:
        if period is not None:
            contract = subject.contract
            term = (contract.start_date, contract.end_date) if contract else None
            return periods.parse_period(period, contract=term)
        if not first or not last:
            raise fail("give --from and --to (YYYY-MM-DD), or --period")
        return periods.between(first, last)
    except InvalidPeriod as exc:
        raise fail(str(exc)) from None


@performance_app.command("performance")
def performance_command(
    contract: Annotated[
        int | None, typer.Option("--contract", help="The service contract's number.")
    ] = None,
    org: Annotated[
        str | None,
        typer.Option("--org", help="An organisation (number or exact name): all its work."),
    ] = None,
    first: Annotated[
        str | None, typer.Option("--from", help="First day of the period, YYYY-MM-DD.")
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", help="Last day of the period (included), YYYY-MM-DD.")
    ] = None,
    period: Annotated[str | None, typer.Option("--period", help=PERIOD_HELP)] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Write the workbook here.")] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write the PDF report here.")] = None,
    no_files: Annotated[
        bool, typer.Option("--no-files", help="Write no workbook or PDF unless named.")
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the pack as JSON instead of the table.")
    ] = False,
) -> None:
    """Print the figures of a contract or organisation and write its evaluation pack.

    The pack (绩效评价) is a workbook and a PDF for the evaluator.
    """
    if (contract is None) == (org is None):
        raise fail("give exactly one of --contract ID or --org ORG")
    settings = current_settings()
    load_model_categories(settings.linli_model)  # a model's own label names (城乡建设)
    limits = Limits.from_settings(settings)
    with open_database(settings) as database, database.session() as session:
        try:
            if contract is not None:
                subject = contract_subject(session, contract_id=contract)
            else:
                assert org is not None
                subject = organisation_subject(session, ref=org)
        except NotFound as exc:
            raise fail(f"not found: {exc}") from None
        chosen = _period(subject, period, first, last)
        pack = build_pack(session, subject=subject, period=chosen, limits=limits, database=database)
    # Lazy: openpyxl and fpdf2 are too slow to import for `linli --help`.
    from bot.performance_render import render_table
    from bot.performance_render.formatting import file_name

    if json_output:
        typer.echo(json.dumps(pack.to_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(render_table(pack, category_name, settings.tz))
    if xlsx is None and not no_files:
        xlsx = Path(file_name(pack, "xlsx"))
    if pdf is None and not no_files:
        pdf = Path(file_name(pack, "pdf"))
    if xlsx is not None:
        from bot.performance_render.workbook import render_workbook

        write_file(xlsx, render_workbook(pack, category_name, settings.tz))
    if pdf is not None:
        from bot.performance_render.pdf import render_pdf

        write_file(pdf, render_pdf(pack, category_name, settings.tz))
