"""The command line: parse options, call one function, print, turn errors into exit codes.

This is the only module that reads the clock or the terminal; everything it calls takes
`today` and paths as arguments.
"""

from __future__ import annotations

import getpass
import json
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import click

from . import listing, printing
from .build import build as build_calendar
from .errors import CalendarAppError
from .plan import load_plan
from .store import Store


@dataclass
class Settings:
    plan: Path
    db: Path
    exports: Path


class AppGroup(click.Group):
    """Turns our errors into one line per problem on stderr and a non-zero exit."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CalendarAppError as exc:
            for line in str(exc).splitlines():
                click.echo(line, err=True)
            ctx.exit(exc.exit_code)


DATE = click.DateTime(formats=["%Y-%m-%d"])
MONTH = click.DateTime(formats=["%Y-%m"])


def _date(value) -> date | None:
    return value.date() if value is not None else None


def _window(month, start, end) -> tuple[date | None, date | None]:
    """--month, or --from/--to (both inclusive) as a half-open window."""
    if month is not None:
        first = month.date()
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return first, following
    last = _date(end)
    return _date(start), last + timedelta(days=1) if last else None


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@click.group(cls=AppGroup)
@click.option("--plan", "plan_path", default="recurring.yaml", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The plan file.")
@click.option("--db", default="calendar.db", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The SQLite database.")
@click.option("--exports", default="exports", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Where output files go.")
@click.version_option(package_name="calendar_app")
@click.pass_context
def cli(ctx: click.Context, plan_path: Path, db: Path, exports: Path) -> None:
    """Chongyang County's scientific-literacy plan as calendars for its units."""
    ctx.obj = Settings(plan_path, db, exports)


@cli.command()
@click.pass_obj
def validate(settings: Settings) -> None:
    """Check the plan file and say how its quirks were read."""
    plan = load_plan(settings.plan)
    click.echo(f"{settings.plan}: ok: {len(plan.measures)} measures, "
               f"{len(plan.obligations)} obligations, {len(plan.units)} units, "
               f"{len(plan.groups)} groups, period {plan.start} to "
               f"{plan.end - timedelta(days=1)}")
    for note in plan.notes:
        click.echo(f"note: {note}")


TEMPLATES = click.option(
    "--templates", type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="A folder of templates that replace the shipped ones of the same name.")


@cli.command()
@click.option("--from", "start", type=DATE, help="First day of the window (default: plan start).")
@click.option("--to", "end", type=DATE, help="Last day of the window (default: plan end).")
@click.option("--today", type=DATE, help="The day of this build (default: the clock's date).")
@click.option("--pdf", is_flag=True, help="Print PDFs of the monthly schedules as well as HTML "
              "(also on when the plan's settings.pdf is true).")
@TEMPLATES
@click.pass_obj
def build(settings: Settings, start, end, today, pdf, templates) -> None:
    """Expand the plan into dated events, store them and write the exports."""
    _, stop = _window(None, None, end)
    report = build_calendar(settings.plan, settings.db, settings.exports,
                            _date(today) or date.today(), _os_user(), _date(start), stop,
                            pdf=pdf, templates=templates)
    for year in report.estimated_years:
        click.echo(f"warning: no statutory holiday data for {year}; its working days assume "
                   "weekends only (add calendar.holidays to the plan when the State Council "
                   "publishes them)", err=True)
    s = report.sync
    click.echo(f"{report.events} events from {report.window[0]} to "
               f"{report.window[1] - timedelta(days=1)} in {settings.db}: {s.created} new, "
               f"{s.changed} changed, {s.removed} cancelled, {s.restored} restored, "
               f"{s.unchanged} unchanged")
    for kind, count in report.written.items():
        click.echo(f"{kind}: {count} files written under {settings.exports}")


@cli.command()
@click.option("--unit", help="A unit id, Chinese name or alias.")
@click.option("--month", type=MONTH, help="A month, YYYY-MM.")
@click.option("--from", "start", type=DATE, help="First day of the window.")
@click.option("--to", "end", type=DATE, help="Last day of the window (inclusive).")
@click.option("--measure", type=click.IntRange(1, 30), help="A measure number, 1-30.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True)
@click.pass_obj
def events(settings: Settings, unit, month, start, end, measure, fmt) -> None:
    """List stored events that overlap a window."""
    plan = load_plan(settings.plan)
    unit_id = plan.resolve_unit(unit) if unit else None
    first, stop = _window(month, start, end)
    with Store.open(settings.db) as store:
        found = store.entries(unit=unit_id, start=first, end=stop, measure=measure)
    if fmt == "json":
        click.echo(listing.events_json(found))
    elif fmt == "csv":
        click.echo(listing.events_csv(found), nl=False)
    else:
        click.echo(listing.events_table(found, plan))


@cli.command("print")
@click.option("--month", type=MONTH, required=True, help="The month, YYYY-MM.")
@click.option("--unit", help="A unit id, Chinese name or alias (default: the whole county).")
@click.option("--pdf", is_flag=True, help="Write a PDF beside the HTML (needs a Chinese font).")
@click.option("--today", type=DATE, help="The date printed in the footer (default: today).")
@TEMPLATES
@click.pass_obj
def print_schedule(settings: Settings, month, unit, pdf, today, templates) -> None:
    """Write a month's printable schedule, for a unit or the county, and print its paths."""
    plan = load_plan(settings.plan)
    unit_id = plan.resolve_unit(unit) if unit else None
    first = month.date()
    for path in printing.print_month(plan, settings.db, settings.exports, first.year,
                                     first.month, unit_id, _date(today) or date.today(),
                                     templates, pdf):
        click.echo(path)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_obj
def units(settings: Settings, fmt) -> None:
    """List the responsible units with their ids and aliases."""
    plan = load_plan(settings.plan)
    if fmt == "json":
        click.echo(json.dumps(listing.units_rows(plan), ensure_ascii=False, indent=2))
    else:
        click.echo(listing.units_table(plan))


def main() -> None:
    cli(prog_name="calendar-app")


if __name__ == "__main__":
    sys.exit(main())
