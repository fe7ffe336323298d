"""The command line: parse options, call one function, print, turn errors into exit codes.

This is the only module that reads the clock or the terminal; everything it calls takes
`today` and paths as arguments. Each command imports what it uses when it runs, so
`--help` and the quick listings never load the PDF, spreadsheet, iCalendar or HTTP code.
"""

from __future__ import annotations

import getpass
import json
import re
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import click

from .errors import CalendarAppError
from .limits import ATTENDANCE, ServeLimits
from .model import SEVERITIES


@dataclass
class Paths:
    """Where this run's plan, database and exports are (the global options)."""

    plan: Path
    db: str  # a SQLite file's path, or a postgresql:// URL
    exports: Path
    plan_given: bool = True  # --plan on the command line, not its default

    def load_plan(self):
        from .plan.reader import load_plan
        return load_plan(self.plan)

    def store(self):
        from .store.store import Store
        return Store.open(self.db)

    def exports_for(self, plan):
        from .exports import Exports
        return Exports(self.exports, plan.settings.base_url)


class AppGroup(click.Group):
    """Turns our errors into one line per problem on stderr and a non-zero exit."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            from . import diskfull

            paths = ctx.obj if isinstance(ctx.obj, Paths) else None
            places = [] if paths is None else [paths.exports] if "://" in str(paths.db) else \
                [Path(paths.db), paths.exports]  # the SQLite file first, when there is one
            full = diskfull.disk_full(exc, places)  # said plainly, whatever layer noticed it
            if full is not None:
                click.echo(diskfull.message(full), err=True)
                ctx.exit(1)
            if not isinstance(exc, CalendarAppError):
                raise
            for line in str(exc).splitlines():
                click.echo(line, err=True)
            ctx.exit(exc.exit_code)


DATE = click.DateTime(formats=["%Y-%m-%d"])
MONTH = click.DateTime(formats=["%Y-%m"])


class When(click.ParamType):
    """A day (YYYY-MM-DD), or a moment (YYYY-MM-DDTHH:MM) in Asia/Shanghai."""

    name = "DATE|DATETIME"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        text = str(value).strip().replace(" ", "T")
        try:
            if "T" not in text:
                return date.fromisoformat(text)
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"{value!r} is not a date (2025-06-18) or date-time (2025-06-18T14:30)",
                      param, ctx)
        return moment if moment.tzinfo else moment.replace(tzinfo=_zone())


WHEN = When()


def _zone():
    from .model import TZ
    return TZ


def _date(value) -> date | None:
    return value.date() if value is not None else None


def _month(month: datetime) -> tuple[date, date]:
    """--month as a half-open window."""
    from .months import following

    first = month.date()
    return first, following(first)


def _window(month, start, end) -> tuple[date | None, date | None]:
    """--month, or --from/--to (both inclusive) as a half-open window."""
    if month is not None:
        return _month(month)
    last = _date(end)
    if last == date.max:
        raise click.BadParameter("9999-12-31 is the last day a date can hold; give an "
                                 "earlier one", param_hint="--to")
    return _date(start), last + timedelta(days=1) if last else None


def _today(value) -> date:
    """--today, else the date in Chongyang now (a server's own zone may be a day behind)."""
    return value.date() if value is not None else datetime.now(_zone()).date()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@click.group(cls=AppGroup)
@click.option("--plan", "plan_path", default="recurring.yaml", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The plan file.")
@click.option("--db", envvar="CALENDAR_APP_DB", metavar="PATH|URL",
              show_default="calendar.db beside the plan",
              help="The database: a SQLite file, or a PostgreSQL URL such as "
                   "postgresql://user@host/dbname?schema=county (also from CALENDAR_APP_DB).")
@click.option("--exports", type=click.Path(file_okay=False, path_type=Path),
              show_default="exports/ beside the plan", help="Where output files go.")
@click.version_option(package_name="calendar_app")
@click.pass_context
def cli(ctx: click.Context, plan_path: Path, db: str | None, exports: Path | None) -> None:
    """Chongyang County's scientific-literacy plan as calendars for its units."""
    home = plan_path.parent
    given = ctx.get_parameter_source("plan_path") is not click.core.ParameterSource.DEFAULT
    ctx.obj = Paths(plan_path, db or str(home / "calendar.db"), exports or home / "exports",
                    given)


@cli.command()
@click.pass_obj
def validate(paths: Paths) -> None:
    """Check the plan file, say how its quirks were read, list the county's choices, the
    number each obligation's reports ask for, and the days or weeks where the plan gives a
    unit more events than its limits."""
    from .plan import choices
    from .schedule import pileups
    from .schedule.expansion import expand

    plan = paths.load_plan()
    click.echo(f"{paths.plan}: ok: {choices.summary(plan)}")
    for note in plan.notes:
        click.echo(f"note: {note}")
    for line in (choices.county_choices(plan) + choices.decisions(plan) + choices.counts(plan)
                 + pileups.validate_lines(plan, expand(plan).events)):
        click.echo(line)


class Period(click.ParamType):
    """Years a plan runs, as 2026-2030 (first and last year, both whole)."""

    name = "YYYY-YYYY"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        text = str(value).strip().replace("—", "-").replace("–", "-")
        first, sep, last = text.partition("-")
        if not (sep and first.isdigit() and last.isdigit() and len(first) == len(last) == 4):
            self.fail(f"{value!r} is not a period of years such as 2026-2030", param, ctx)
        return int(first), int(last)


def _years(period: tuple[int, int]) -> tuple[int, int]:
    first, last = period
    if last < first:
        raise CalendarAppError(f"--period {first}-{last} runs backwards: write the first year "
                               "first, as 2026-2030")
    from .limits import PERIOD_YEARS

    if last - first >= PERIOD_YEARS:
        raise CalendarAppError(f"--period {first}-{last} is {last - first + 1} years; a plan "
                               f"runs at most {PERIOD_YEARS}")
    return first, last


class Names(click.ParamType):
    """Names separated by commas or 、: 甲镇,乙乡 or 甲镇、乙乡."""

    name = "NAME,NAME,..."

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        names = tuple(dict.fromkeys(n for n in re.split(r"[,，、;；\s]+", str(value)) if n))
        if not names:
            self.fail(f"{value!r} names nothing: give the names as 甲镇,乙乡", param, ctx)
        return names


def _import_ground(paths: Paths):
    """The plan an import stands on, and what to say of it: --plan, or recurring.yaml here;
    with neither, the program's own plan, less what is its county's."""
    if paths.plan_given or paths.plan.exists():
        return paths.load_plan(), []
    from .plan import draft
    from .plan.reader import load_plan, shipped_file

    shipped = shipped_file()
    if shipped is None:
        raise CalendarAppError(f"{paths.plan}: no plan here, and the program's own is not "
                               "beside it: give --plan a county's recurring.yaml to take the "
                               "working calendar and settings from")
    ground, notes = draft.fresh_ground(load_plan(shipped))
    return ground, [f"no {paths.plan} here: the working calendar (terms, observance days, "
                    f"holidays), the settings and the county bodies' names come from the "
                    f"program's own plan, {shipped}; the townships from the table and "
                    "--townships", *notes]


@cli.group("plan", cls=AppGroup)
def plan_group() -> None:
    """Start a plan: from a county's responsibility table, or for the next period."""


@plan_group.command("import")
@click.argument("table", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The draft plan file to write (recurring.yaml of the new plan).")
@click.option("--period", type=Period(), help="The years the plan runs, e.g. 2021-2025 "
              "(default: five years up to the year its targets name, 到2025年).")
@click.option("--force", is_flag=True, help="Replace --out when it exists.")
@click.option("--townships", type=Names(), help="The county's towns and townships, as "
              "甲镇,乙乡 (or 甲镇、乙乡): those behind 各乡镇, in place of the current plan's.")
@click.pass_obj
def plan_import(paths: Paths, table, out, period, force, townships) -> None:
    """Read a 重点任务责任分工表 (DOCX, XLSX or CSV) into a draft plan that validates.

    The current plan (--plan) lends the units' ids, the townships, the working calendar and
    the settings; with no --plan and no recurring.yaml here, the program's own plan lends
    the calendar, the settings and the county bodies' names, and the townships come from the
    table and --townships. Each rhythm the table states becomes an obligation marked as
    assumed."""
    from .plan import choices, draft, writer
    from .plan import table as tables

    reference, ground = _import_ground(paths)
    read = tables.read_table(table)
    first, last = _years(period) if period else draft.stated_period(read, reference)
    if ground and not period and draft.stated_years(read) is None:
        ground.append(f"the table names no year its targets are due (到2030年): the period "
                      f"is the program's plan's, {first}-{last}; give --period for the "
                      "county's own")
    made = draft.draft(read, reference, date(first, 1, 1), date(last + 1, 1, 1),
                       draft.named_for(reference.name, first, last), townships or ())
    plan = writer.save(out, writer.plan_text(made.plan, draft.heading(made, table.name),
                                             draft.measure_notes(made)), force)
    click.echo(f"{out}: draft plan from {table}: {choices.summary(plan)}")
    for note in [*ground, *made.notes, *plan.notes]:
        click.echo(f"note: {note}")
    for line in choices.decisions(plan):
        click.echo(line)


@plan_group.command("next")
@click.option("--period", type=Period(), required=True,
              help="The next period's years, e.g. 2026-2030.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The new plan's folder; its recurring.yaml is written there, and its "
                   "database and exports will sit beside it.")
@click.option("--force", is_flag=True, help="Replace a recurring.yaml already in --out.")
@click.pass_obj
def plan_next(paths: Paths, period, out, force) -> None:
    """Start the next period's plan from the current one, in a folder of its own.

    Measures, units and obligations move to the new years; dates not announced yet are
    marked as estimated. The ended period's database, evidence and exports are not touched."""
    from .plan import choices, writer
    from .plan import period as periods

    current = paths.load_plan()
    first, last = _years(period)
    made = periods.next_period(current, first, last)
    target = out / "recurring.yaml"
    if target.resolve() == paths.plan.resolve():
        raise CalendarAppError(f"{target} is the current plan: give the next period a folder "
                               "of its own")
    plan = writer.save(target, writer.plan_text(made.plan, periods.heading(made, current)),
                       force)
    click.echo(f"{target}: next period from {paths.plan}: {choices.summary(plan)}")
    for note in made.notes:
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
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Processes writing the feeds, "
              "the dashboard and the printed months (default: one per core, up to 8; 1: this "
              "one).")
@click.pass_obj
def build(paths: Paths, start, end, today, pdf, templates, jobs) -> None:
    """Expand the plan into dated events, store them and write the exports."""
    from .build import BuildRequest
    from .build import build as build_calendar

    _, stop = _window(None, None, end)
    report = build_calendar(BuildRequest(paths.plan, paths.db, paths.exports, _today(today),
                                         _os_user(), _date(start), stop, pdf=pdf,
                                         templates=templates, jobs=jobs))
    for year in report.estimated_years:
        click.echo(f"warning: no statutory holiday data for {year}; its working days assume "
                   "weekends only (add calendar.holidays to the plan when the State Council "
                   "publishes them)", err=True)
    if report.plan is not None:
        _warn_placeholder(report.plan)
    from .store.location import shown

    s = report.sync
    click.echo(f"{report.events} events from {report.window[0]} to "
               f"{report.window[1] - timedelta(days=1)} in {shown(paths.db)}: {s.created} new, "
               f"{s.changed} changed, {s.removed} cancelled, {s.restored} restored, "
               f"{s.unchanged} unchanged")
    for kind, count in report.written.items():
        click.echo(f"{kind}: {count} files written under {paths.exports}")


def _warn_placeholder(plan) -> None:
    from .feeds.view import placeholder_warning

    warning = placeholder_warning(plan)
    if warning:
        click.echo(f"warning: {warning}", err=True)


@cli.command()
@click.option("--unit", help="A unit id, Chinese name or alias.")
@click.option("--month", type=MONTH, help="A month, YYYY-MM.")
@click.option("--from", "start", type=DATE, help="First day of the window.")
@click.option("--to", "end", type=DATE, help="Last day of the window (inclusive).")
@click.option("--measure", type=click.IntRange(1, 30), help="A measure number, 1-30.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True)
@click.pass_obj
def events(paths: Paths, unit, month, start, end, measure, fmt) -> None:
    """List stored events that overlap a window."""
    from .formats import listing

    plan = paths.load_plan()
    unit_id = plan.resolve_unit(unit) if unit else None
    first, stop = _window(month, start, end)
    with paths.store() as store:
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
def print_schedule(paths: Paths, month, unit, pdf, today, templates) -> None:
    """Write a month's printable schedule, for a unit or the county, and print its paths."""
    from . import publish

    plan = paths.load_plan()
    unit_id = plan.resolve_unit(unit) if unit else None
    first, stop = _month(month)
    if not (plan.start < stop and first < plan.end):
        raise click.BadParameter(
            f"{first:%Y-%m} is outside the plan period {plan.start:%Y-%m} to "
            f"{plan.last:%Y-%m}", param_hint="--month")
    with paths.store() as store:
        entries = store.entries(unit=unit_id, start=first, end=stop, include_removed=False)
    for path in publish.page(plan, entries, paths.exports_for(plan), first.year, first.month,
                             unit_id, _today(today), templates, pdf):
        click.echo(path)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_obj
def units(paths: Paths, fmt) -> None:
    """List the responsible units with their ids and aliases."""
    from .formats import listing

    plan = paths.load_plan()
    if fmt == "json":
        click.echo(json.dumps(listing.units_rows(plan), ensure_ascii=False, indent=2))
    else:
        click.echo(listing.units_table(plan))


@cli.command()
@click.option("--from", "start", type=DATE, help="First day of the period (default: plan start).")
@click.option("--to", "end", type=DATE, help="Last day of the period (default: plan end).")
@click.option("--today", type=DATE, help="Judge as of this day (default: the clock's date).")
@click.option("--unit", help="Only this unit's findings (id, name or alias).")
@click.option("--category", help="Only measures of this category (A-M).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text",
              show_default=True)
@click.option("--detail", is_flag=True, help="One finding per event or slot, not per problem.")
@click.option("--check", is_flag=True,
              help="Exit with status 3 when findings at or above --severity exist.")
@click.option("--severity", type=click.Choice(SEVERITIES), default="high",
              show_default=True, help="The lowest severity --check counts.")
@click.pass_obj
def gaps(paths: Paths, start, end, today, unit, category, fmt, detail, check,
         severity) -> None:
    """The coordinator's supervision report: lights, completion rates, ranking and findings."""
    from .supervision import dashboard, lights, report

    plan = paths.load_plan()
    unit_id = plan.resolve_unit(unit) if unit else None
    if category and category not in plan.categories:
        raise click.BadParameter(f"{category!r} is not one of {', '.join(plan.categories)}",
                                 param_hint="--category")
    first, stop = _window(None, start, end)
    with paths.store() as store:
        entries, reports = store.entries(), store.reports()
    review = lights.review(plan, entries, _today(today), first, stop, reports=reports,
                           unit=unit_id, category=category)
    if fmt == "json":
        click.echo(report.as_json(review, detail), nl=False)
    elif fmt == "html":
        click.echo(dashboard.page(review, plan, entries), nl=False)
    else:
        click.echo(report.as_text(review, plan, detail), nl=False)
    found = review.report.at_least(severity)
    if check and found:
        click.echo(f"{len(found)} findings at or above {severity}", err=True)
        sys.exit(3)


# -- recording what happened -----------------------------------------------------------------

BY = click.option("--by", default=_os_user, show_default="the OS user",
                  help="Who reports this (kept in the history).")


@contextmanager
def _reporting(paths: Paths, by: str, today: date | None = None) -> Iterator:
    """A recorder on the database; once its reports are in, the feeds, printed months and
    gap report they touched are refreshed, so subscribers see them on their next poll.
    `today` takes that day for the clock's (at the clock's time of day)."""
    from . import publish
    from .reports.records import Recorder

    plan = paths.load_plan()
    now = datetime.now(_zone())
    if today is not None:
        now = datetime.combine(today, now.timetz())
    with paths.store() as store:
        recorder = Recorder(store, plan, now, by)
        yield recorder
        if recorder.touched:
            from .feeds.view import feed_domain

            publish.refresh(plan, store.entries(), paths.exports_for(plan), now.date(),
                            recorder.touched, feed_domain(plan, store.uid_domain),
                            store.reports())


@cli.group()
def record() -> None:
    """Report what happened to an event (done, cancelled, moved, reset) or in a period."""


@record.command("done")
@click.argument("uid")
@click.option("--on", type=DATE, help="The day it took place (default: its planned day).")
@click.option("--attendance", type=click.IntRange(0, ATTENDANCE),
              help="The number its obligation asks for: how many took part (参加人数), "
                   "or what the plan's `counted` names; refused where it says 无.")
@click.option("--note", default="", help="A short note.")
@click.option("--evidence", default="", help="Where the evidence is (photos, sign-in sheet...).")
@BY
@click.pass_obj
def record_done(paths: Paths, uid, on, attendance, note, evidence, by) -> None:
    """Record an event as done, with attendance and evidence."""
    with _reporting(paths, by) as recorder:
        recorder.done(uid, _date(on), attendance, note, evidence)
    click.echo(f"{uid}: done")


@record.command("cancel")
@click.argument("uid")
@click.option("--reason", required=True, help="Why it was cancelled.")
@BY
@click.pass_obj
def record_cancel(paths: Paths, uid, reason, by) -> None:
    """Record an event as cancelled; its slot stays open until a make-up fills it."""
    with _reporting(paths, by) as recorder:
        recorder.cancel(uid, reason)
    click.echo(f"{uid}: cancelled")


@record.command("move")
@click.argument("uid")
@click.option("--to", "to", type=WHEN, required=True, help="The new day or date-time.")
@BY
@click.pass_obj
def record_move(paths: Paths, uid, to, by) -> None:
    """Move an event; it stays moved across rebuilds until reset."""
    with _reporting(paths, by) as recorder:
        recorder.move(uid, to)
    click.echo(f"{uid}: moved to {to.isoformat()}")


@record.command("period")
@click.argument("uid")
@click.option("--done", "done", type=int, required=True,
              help="How many of the period's planned events took place.")
@click.option("--missed", type=DATE, multiple=True,
              help="A planned day that did not take place (repeat for each).")
@click.option("--note", default="", help="A short note.")
@click.option("--today", type=DATE, help="The day the report is made (default: today); a "
              "period may be reported from its last week on.")
@BY
@click.pass_obj
def record_period(paths: Paths, uid, done, missed, note, today, by) -> None:
    """Report a period's task (an obligation reported weekly, monthly or quarterly): how
    many of the period's events were done."""
    with _reporting(paths, by, _date(today)) as recorder:
        planned = recorder.period(uid, done, note, tuple(d.date() for d in missed))
    click.echo(f"{uid}: {done} of {planned} done")


@record.command("batch")
@click.argument("obligation")
@click.option("--unit", required=True, help="The unit reporting (id, Chinese name or alias).")
@click.option("--period", "key", required=True,
              help="A week (2025-W23) or a month (2025-06).")
@click.option("--skip", multiple=True, help="The uid of an event that did not take place "
              "(repeat for each); it stays as it is.")
@click.option("--note", default="", help="A short note, for every event reported.")
@click.option("--today", type=DATE, help="The day the report is made (default: today); a "
              "period may be reported from its last week on.")
@BY
@click.pass_obj
def record_batch(paths: Paths, obligation, unit, key, skip, note, today, by) -> None:
    """Report a week or a month of a routine done as planned (按计划全部完成): every event
    of it still planned, but those skipped."""
    from .reports import batch

    with _reporting(paths, by, _date(today)) as recorder:
        unit_id = recorder.plan.resolve_unit(unit)
        uids = batch.all_but(recorder, obligation, unit_id, key, list(skip))
        done = batch.complete(recorder, obligation, unit_id, key, uids, note)
    click.echo(f"{obligation} {key}: {len(done)} events done")


@record.command("review")
@click.argument("uid")
@click.option("--pass", "passed", is_flag=True, help="The report is complete (通过).")
@click.option("--return", "reason", metavar="REASON",
              help="Return the report to its unit, saying why (退回, e.g. 需补充佐证材料).")
@BY
@click.pass_obj
def record_review(paths: Paths, uid, passed, reason, by) -> None:
    """Review a done report as the coordinator (复核): pass it or return it. --by naming a
    unit's account is refused."""
    if passed == (reason is not None):
        raise click.UsageError("give --pass or --return REASON, one of them")
    with _reporting(paths, by) as recorder:
        account = recorder.store.account(by)
        coordinator = account is None or (account.coordinator and account.enabled)
        recorder.review(uid, passed, reason or "", coordinator=coordinator)
    click.echo(f"{uid}: {'passed' if passed else 'returned'}")


@record.command("supplement")
@click.argument("uid")
@click.option("--note", default="", help="What to add to the report's note.")
@click.option("--resubmit", is_flag=True, help="The report was returned: send it back for "
              "review with what is added.")
@BY
@click.pass_obj
def record_supplement(paths: Paths, uid, note, resubmit, by) -> None:
    """Add a note to a done report without undoing it; with --resubmit, send a returned
    report back for review."""
    with _reporting(paths, by) as recorder:
        recorder.supplement(uid, note, resubmit=resubmit)
    click.echo(f"{uid}: {'resubmitted' if resubmit else 'supplemented'}")


@record.command("reset")
@click.argument("uid")
@BY
@click.pass_obj
def record_reset(paths: Paths, uid, by) -> None:
    """Forget what was recorded about an event: back to what the plan says."""
    with _reporting(paths, by) as recorder:
        recorder.reset(uid)
    click.echo(f"{uid}: reset to the plan")


@cli.command()
@click.option("--unit", required=True, help="The unit adding it (id, name or alias).")
@click.option("--title", required=True, help="What takes place (Chinese, as units read it).")
@click.option("--on", "on", type=WHEN, required=True, help="The day or date-time.")
@click.option("--measure", type=click.IntRange(1, 30), help="The measure it serves, 1-30.")
@click.option("--fills", default="", help="The uid of a cancelled event whose slot this fills.")
@click.option("--toward", default="",
              help="An obligation id whose quota or milestone this event counts toward.")
@BY
@click.pass_obj
def add(paths: Paths, unit, title, on, measure, fills, toward, by) -> None:
    """Add an event the plan did not generate, or a make-up for a cancelled one."""
    if fills and toward:
        raise click.UsageError("--fills and --toward exclude each other")
    with _reporting(paths, by) as recorder:
        uid = recorder.add(unit, title, on, measure, fills, toward)
    click.echo(uid)


@cli.command()
@click.argument("uid")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_obj
def history(paths: Paths, uid, fmt) -> None:
    """Every change to an event, oldest first: when, who, what."""
    from .formats import listing
    from .reports.records import Recorder

    with paths.store() as store:
        Recorder(store, paths.load_plan(), datetime.now(_zone()), "").find(uid)
        rows = store.history(uid)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        click.echo(listing.history_table(rows))


@cli.group(cls=AppGroup)
def export() -> None:
    """Write views of the stored events under the exports folder, without rebuilding."""


@export.command("report-template")
@click.option("--unit", required=True, help="A unit id, Chinese name or alias.")
@click.option("--month", type=MONTH, help="The month, YYYY-MM.")
@click.option("--overdue", is_flag=True, help="Instead of a month: every event the unit "
              "leads that is overdue, across months (逾期未报清单).")
@click.option("--today", type=DATE, help="The day written into the workbook, and judged as "
              "of (default: today).")
@click.pass_obj
def export_report_template(paths: Paths, unit, month, overdue, today) -> None:
    """Write a unit's monthly report sheet, or its catch-up sheet of what is overdue (CSV
    and XLSX), to fill in and import."""
    from .reports import sheets

    if (month is None) == (not overdue):
        raise click.UsageError("give --month or --overdue, one of them")
    plan = paths.load_plan()
    unit_id = plan.resolve_unit(unit)
    with paths.store() as store:
        if overdue:
            key = sheets.BACKLOG
            entries = sheets.backlog(store.entries(unit=unit_id, unreported_by=_today(today)),
                                     unit_id, _today(today), plan.settings.overdue_days)
        else:
            first, stop = _month(month)
            key = f"{first:%Y-%m}"
            entries = sheets.month_rows(store.entries(unit=unit_id, start=first, end=stop))
        planned = store.planned_counts(entries)
    out = paths.exports_for(plan)
    files = sheets.template_files(entries, plan, unit_id, key, _today(today), planned)
    out.write_all(files)
    for rel in files:
        click.echo(out.path(rel))


YEAR = click.IntRange(1900, 2999)


def _inside_plan(plan, first: date, stop: date, what: str) -> None:
    if not (first < plan.end and stop > plan.start):
        raise CalendarAppError(f"{what} is outside the plan period {plan.start} to "
                               f"{plan.last}")


@export.command("ledger")
@click.option("--year", type=YEAR, help="One year of the plan (default: the whole plan period).")
@click.option("--from", "start", type=DATE, help="First day of the period.")
@click.option("--to", "end", type=DATE, help="Last day of the period (inclusive).")
@click.option("--today", type=DATE, help="Judge as of this day (default: the clock's date).")
@click.pass_obj
def export_ledger(paths: Paths, year, start, end, today) -> None:
    """Write the ledger (台账): by measure, by unit and every event, as XLSX."""
    from . import exports
    from .supervision import ledger, lights

    if year is not None and (start or end):
        raise click.UsageError("--year and --from/--to exclude each other")
    plan = paths.load_plan()
    if year is not None:
        first, stop = date(year, 1, 1), date(year + 1, 1, 1)
    else:
        asked = _window(None, start, end)
        first, stop = asked[0] or plan.start, asked[1] or plan.end
    if stop <= first:
        raise click.BadParameter(f"{first} is after {stop - timedelta(days=1)}", param_hint="--to")
    _inside_plan(plan, first, stop, f"{first} to {stop - timedelta(days=1)}")
    first, stop = max(first, plan.start), min(stop, plan.end)
    with paths.store() as store:
        entries, reports = store.entries(), store.reports()
    review = lights.review(plan, entries, _today(today), first, stop, reports=reports)
    _offer(paths, plan, entries, reports, _today(today),
           {exports.ledger(first, stop): ledger.workbook(review, plan, entries, reports)})


def _offer(paths: Paths, plan, entries, reports, today: date, made: dict[str, bytes]) -> None:
    """Write documents under exports/reports/ and the dashboard that offers them; say where."""
    from . import publish

    out = paths.exports_for(plan)
    out.write_all(made)
    # The dashboard stays as of the day the published files are: only what it offers changes.
    publish.gaps(plan, entries, out, publish.published_day(out, today), reports)
    for rel in made:
        click.echo(out.path(rel))


@export.command("summary")
@click.option("--today", type=DATE, help="Judge as of this day (default: the clock's date); "
              "before the plan's end it is a mid-term review (中期评估).")
@click.pass_obj
def export_summary(paths: Paths, today) -> None:
    """Write the period's summary (实施情况总结) as a Word document for the county to edit."""
    from . import exports
    from .supervision import lights, summary

    plan, day = paths.load_plan(), _today(today)
    with paths.store() as store:
        entries, reports = store.entries(), store.reports()
    review = lights.review(plan, entries, day, reports=reports)
    _offer(paths, plan, entries, reports, day, {
        exports.summary(plan.start, plan.end, summary.final(review, plan)):
            summary.document(review, plan, entries, reports)})


@export.command("circular")
@click.option("--month", type=MONTH, required=True, help="The month, YYYY-MM.")
@click.option("--today", type=DATE, help="The day the circular is made, and judged as of "
              "(default: the clock's date).")
@click.pass_obj
def export_circular(paths: Paths, month, today) -> None:
    """Write the monthly circular (通报) as HTML and PDF, one or two A4 pages."""
    from . import exports, months
    from .supervision import circular

    plan = paths.load_plan()
    first = month.date()
    _inside_plan(plan, first, months.following(first), f"{first:%Y-%m}")
    circular.pdf_check()
    with paths.store() as store:
        entries, reports = store.entries(), store.reports()
    html = circular.page(plan, entries, first, _today(today), reports)
    made = {exports.circular(first, ".html"): html.encode(),
            exports.circular(first, ".pdf"): circular.pdf(html)}
    _offer(paths, plan, entries, reports, _today(today), made)


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and show what would change; "
              "change nothing.")
@BY
@click.pass_obj
def import_sheet(paths: Paths, file, dry_run, by) -> None:
    """Read a filled-in report sheet (CSV or XLSX) back: all rows or none."""
    from .reports import sheets

    with _reporting(paths, by) as recorder:
        changes = sheets.import_sheet(file, recorder, dry_run)
    for change in changes:
        click.echo(change.describe())
    verb = "would change" if dry_run else "changed"
    click.echo(f"{file}: {len(changes)} events {verb}")


@export.command("feeds")
@click.option("--today", type=DATE, help="The day the feeds are for (default: the clock's date); "
              "cancelled events older than the grace period leave the feeds.")
@click.pass_obj
def export_feeds(paths: Paths, today) -> None:
    """Write the iCal feeds (one per unit, the county, each category) and index.html."""
    from . import publish
    from .feeds.view import feed_domain

    plan = paths.load_plan()
    with paths.store() as store:
        entries = store.entries()
        domain = feed_domain(plan, store.uid_domain)
    report = publish.feeds(plan, entries, paths.exports_for(plan), _today(today), domain)
    _warn_placeholder(plan)
    click.echo(f"{report.feeds} feeds under {paths.exports / 'feeds'}: {report.written} "
               f"files written (index.html included), {report.removed} stale feeds removed")


# -- accounts of the web application ----------------------------------------------------------

@cli.group(cls=AppGroup)
def accounts() -> None:
    """Accounts for the web application: one per person, of a unit or the coordinator."""


def _password(stdin: bool) -> str | None:
    if not stdin:
        return None
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise click.UsageError("--password-stdin read an empty line")
    return line


@accounts.command("add")
@click.argument("login")
@click.option("--unit", help="The unit the account reports for (id, Chinese name or alias).")
@click.option("--coordinator", is_flag=True, help="The coordinator's account: every unit.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input instead of making one.")
@click.pass_obj
def accounts_add(paths: Paths, login, unit, coordinator, password_stdin) -> None:
    """Create an account; a new random password is printed once."""
    from .store import accounts as users

    given = _password(password_stdin)
    plan = paths.load_plan()
    with paths.store() as store:
        password = users.add(store, plan, login, unit, coordinator, given, datetime.now(_zone()),
                             _os_user())
    who = "the coordinator" if coordinator else plan.units[plan.resolve_unit(unit)].name
    click.echo(f"account {login} for {who} created")
    if given is None:
        click.echo(f"password: {password}  (shown once: hand it over now)")


@accounts.command("list")
@click.pass_obj
def accounts_list(paths: Paths) -> None:
    """List the accounts: login, unit, state, last change."""
    from .formats import termtable, words

    plan = paths.load_plan()
    with paths.store() as store:
        rows = [[a.login, words.account_unit(plan, a.unit), "启用" if a.enabled else "停用",
                 a.changed.strftime("%Y-%m-%d %H:%M")] for a in store.accounts()]
    click.echo(termtable.render(["用户名", "单位", "状态", "最近变更"], rows))


@accounts.command("passwd")
@click.argument("login")
@click.option("--password-stdin", is_flag=True,
              help="Read the new password from standard input instead of making one.")
@click.pass_obj
def accounts_passwd(paths: Paths, login, password_stdin) -> None:
    """Give an account a new password (printed once) and sign out its sessions."""
    from .store import accounts as users

    given = _password(password_stdin)
    with paths.store() as store:
        password = users.set_password(store, login, given, datetime.now(_zone()), _os_user())
    click.echo(f"account {login}: new password set")
    if given is None:
        click.echo(f"password: {password}  (shown once: hand it over now)")


@accounts.command("disable")
@click.argument("login")
@click.pass_obj
def accounts_disable(paths: Paths, login) -> None:
    """Stop an account signing in; its sessions end at once, its reports stay."""
    _account_state(paths, login, False)


@accounts.command("enable")
@click.argument("login")
@click.pass_obj
def accounts_enable(paths: Paths, login) -> None:
    """Let a disabled account sign in again, with the password it had."""
    _account_state(paths, login, True)


def _account_state(paths: Paths, login: str, enabled: bool) -> None:
    from .store import accounts as users

    change = users.enable if enabled else users.disable
    with paths.store() as store:
        change(store, login, datetime.now(_zone()), _os_user())
    click.echo(f"account {login}: {'enabled' if enabled else 'disabled'}")


@accounts.command("history")
@click.pass_obj
def accounts_history(paths: Paths) -> None:
    """Every change to the accounts, newest first: when, whose account, what, by whom."""
    from .formats import termtable, words

    plan = paths.load_plan()
    with paths.store() as store:
        rows = [[c.at.strftime("%Y-%m-%d %H:%M"), c.login, words.account_unit(plan, c.unit),
                 words.ACCOUNT_ACTION_CN[c.action], c.by] for c in store.account_changes()]
    click.echo(termtable.render(["时间", "用户名", "单位", "变更", "操作人"], rows))


# -- reminders -------------------------------------------------------------------------------

COORDINATOR_WORDS = ("coordinator", "统筹")


def _recipient(plan, text: str) -> str:
    """A unit's id, or "" for the coordinator (`coordinator` or 统筹, unless a unit is so named)."""
    if text in COORDINATOR_WORDS and text not in plan.names:
        return ""
    return plan.resolve_unit(text)


@cli.group(cls=AppGroup)
def channels() -> None:
    """Where each unit's reminders go: WeCom, DingTalk or Feishu robots, e-mail, JSON."""


@channels.command("set")
@click.argument("unit")
@click.argument("url", required=False)
@BY
@click.pass_obj
def channels_set(paths: Paths, unit, url, by) -> None:
    """Send UNIT's reminders (UNIT `coordinator`: the coordinator's copies) through URL, an
    Apprise URL: wecombot://KEY, dingtalk://TOKEN, feishu://TOKEN,
    mailtos://USER:PASSWORD@HOST?to=ADDRESS or json://HOST/PATH.

    Leave URL out to keep its key or mail password out of the shell's history: it is asked
    for without being shown, or read from standard input when that is not a terminal
    (`calendar-app channels set UNIT < url.txt`)."""
    from .remind.channels import SERVICE_CN, parse
    from .remind.wording import who

    plan = paths.load_plan()
    to = _recipient(plan, unit)
    address = parse(_secret_url() if url is None else url)
    with paths.store() as store:
        new = store.set_channel(to, address.url, address.shown, address.ident, address.service,
                                datetime.now(_zone()), by)
    click.echo(f"{who(plan, to)}: {SERVICE_CN[address.service]} {address.shown} "
               f"{'added' if new else 'updated'}; `calendar-app channels test {unit}` sends a "
               "测试消息")


def _secret_url() -> str:
    """The channel's URL typed at a prompt that does not show it, or the first line of
    standard input when that is a pipe or a file."""
    if sys.stdin.isatty():
        return click.prompt("Channel URL (not shown)", hide_input=True, default="",
                            show_default=False)
    return sys.stdin.readline().strip()


@channels.command("list")
@click.pass_obj
def channels_list(paths: Paths) -> None:
    """List every unit's channels, their secrets masked, and whether the last message arrived."""
    from .formats import termtable
    from .remind.channels import SERVICE_CN
    from .remind.wording import who

    plan = paths.load_plan()
    with paths.store() as store:
        found = store.channels()
    rows = [[who(plan, c.unit), SERVICE_CN.get(c.service, c.service), c.shown,
             f"渠道异常：{c.error}" if c.error else "正常" if c.delivered else "尚未发送",
             c.delivered.strftime("%Y-%m-%d %H:%M") if c.delivered else "—"] for c in found]
    click.echo(termtable.render(["单位", "渠道", "地址（已隐去密钥）", "状态", "最近送达"], rows))


@channels.command("remove")
@click.argument("unit")
@click.argument("url")
@click.pass_obj
def channels_remove(paths: Paths, unit, url) -> None:
    """Stop sending UNIT's reminders through URL (as set, or masked as `channels list` shows it)."""
    from .remind.channels import ChannelError, parse, repeated
    from .remind.wording import who

    plan = paths.load_plan()
    to = _recipient(plan, unit)
    try:
        ident = parse(url).ident
    except ChannelError:
        ident = None  # a masked address is no URL Apprise reads
    with paths.store() as store:
        found = [c for c in store.channels(to) if c.ident == ident or c.shown == url.strip()]
        if not found:
            raise CalendarAppError(f"{who(plan, to)} has no channel {repeated(url)!r}; "
                                   "`calendar-app channels list` shows them")
        store.remove_channel(found[0].id)
    click.echo(f"{who(plan, to)}: {found[0].shown} removed")


@channels.command("test")
@click.argument("unit")
@click.pass_obj
def channels_test(paths: Paths, unit) -> None:
    """Send a 测试消息 through each of UNIT's channels and say whether the service took it."""
    from .remind import job
    from .remind.wording import who

    plan = paths.load_plan()
    to = _recipient(plan, unit)
    now = datetime.now(_zone())
    with paths.store() as store:
        run = job.test(store, plan, to, now.date(), now)
    if not run.sent and not run.failed:
        raise CalendarAppError(f"{who(plan, to)} has no channel; set one with "
                               f"`calendar-app channels set {unit} URL`")
    for d in run.sent:
        click.echo(f"{d.channel.shown}: arrived (the service accepted the 测试消息)")
    for d in run.failed:
        click.echo(f"{d.channel.shown}: failed: {d.error}", err=True)
    if run.failed:
        sys.exit(1)


@cli.command()
@click.option("--today", type=DATE, help="The day to remind for (default: the clock's date).")
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send and log nothing.")
@click.pass_obj
def remind(paths: Paths, today, dry_run) -> None:
    """Send the day's reminders (本周任务, 临近提醒, 到期催办) to each unit's channels, each once."""
    from .remind import job
    from .remind.due import KIND_CN
    from .remind.wording import text, who

    plan = paths.load_plan()
    day = _today(today)
    with paths.store() as store:
        run = job.remind(store, plan, day, datetime.now(_zone()), dry_run=dry_run)
    if run.held:
        click.echo(f"{day}: another process is sending the reminders (a lock in the "
                   "database); nothing sent by this one")
        return
    if run.quiet:
        click.echo(f"{day} is a quiet day (a weekend or holiday): no reminders")
        return
    for d in run.sent:
        kind, to = KIND_CN[d.notice.kind], who(plan, d.notice.to)
        if dry_run:
            title, body = text(plan, d.notice)
            click.echo(f"would send {kind} to {to} via {d.channel.shown}:")
            for line in (title, *body.splitlines()):
                click.echo(f"    {line}")
        else:
            click.echo(f"sent {kind} to {to} via {d.channel.shown}")
    for d in run.failed:
        click.echo(f"failed: {KIND_CN[d.notice.kind]} to {who(plan, d.notice.to)} via "
                   f"{d.channel.shown}: {d.error} (sent again on the next run)")
    click.echo(run.summary(dry_run))


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def backup(paths: Paths, file: Path) -> None:
    """Copy the SQLite database to FILE, safely while others use it (PostgreSQL: pg_dump)."""
    with paths.store() as store:
        store.backup(file)
        events, generation = len(store.uids()), store.generation()
    click.echo(f"{store.shown} backed up to {file}: {events} events, {generation} history rows")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")
@click.option("--threads", default=ServeLimits.threads, show_default=True,
              type=click.IntRange(1, 64), help="Requests answered at once.")
@click.option("--header-timeout", default=ServeLimits.header_timeout, show_default=True,
              type=click.IntRange(1), help="Seconds a client has to send a request's headers.")
@click.option("--channel-timeout", default=ServeLimits.channel_timeout, show_default=True,
              type=click.IntRange(1), help="Seconds an idle kept-alive connection stays open.")
@click.option("--connection-limit", default=ServeLimits.connection_limit,
              show_default=True, type=click.IntRange(1), help="Connections open at once.")
@click.option("--training", is_flag=True, help="Run on a copy of the database, evidence and "
              "exports (made afresh in calendar.training/ beside the database), for practice: "
              "nothing reaches the live ones, every page says 培训模式.")
@click.option("--today", type=DATE, help="Take this day as today, at the clock's time of day; "
              "implies --training.")
@click.option("--reminders/--no-reminders", default=None,
              help="Send the day's reminders from the plan's reminders hour on, hourly "
                   "(default: yes, but not in training, whose messages would reach real "
                   "people).")
@click.option("--archive", "archives", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An ended period's plan file, shown read-only beside the current one "
                   "(its database and exports beside it); may be given more than once.")
@click.pass_obj
def serve(paths: Paths, host, port, threads, header_timeout, channel_timeout, connection_limit,
          training, today, reminders, archives) -> None:
    """Run the web application (sign-in, tasks, reports) and serve the feeds, and send the
    reminders at their hour, until interrupted; --archive shows ended periods beside it."""
    from .web import Site, addresses, create_app
    from .web import static as serving
    from .web.app import refusal_pages

    with paths.store() as store:  # no database, or another schema: say so now
        referenced = store.evidence_digests()
    site = Site(paths.plan, paths.db, paths.exports)
    if today is not None:
        day = today.date()
        site.clock = lambda: datetime.combine(day, datetime.now(_zone()).timetz())
    training = training or today is not None
    if training:
        from .web import training as practice

        serving.exports_folder(paths.exports)  # nothing built: say so before copying
        site = practice.prepare(site)  # its feeds and pages as of the site's day
    files = site.files()
    # What a server killed in the middle of a report left: taken before this one starts.
    for line in _swept(files.folder, files.sweep(referenced, time.time()), quiet=True):
        click.echo(line)
    app = create_app(site)
    # waitress reads a little more than the application takes, so that a body over the
    # limit meets the application's page (in Chinese, in the site's frame), not waitress's.
    limits = ServeLimits(threads=threads, header_timeout=header_timeout,
                         channel_timeout=channel_timeout, connection_limit=connection_limit,
                         max_body=app.config["MAX_CONTENT_LENGTH"] + 1024 * 1024)
    from .web.periods import with_archives

    served, archived = with_archives(app, site, list(archives))
    server = serving.make_server(site.exports, host, port, limits, app=served,
                                 refusals=refusal_pages(app))
    urls = addresses.listening(host, int(server.effective_port))
    click.echo(f"serving the web application and {site.exports} (Ctrl+C stops) at:")
    for url in urls:
        click.echo(f"  {url}")
    warning = addresses.base_url_warning(site.plan(), urls)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    timer = None
    if reminders if reminders is not None else not training:
        from .remind.timer import Timer

        timer = Timer(site.plan, str(site.db), site.clock,
                      lambda line: click.echo(line, err=True))
        timer.start()
        click.echo(f"sending the reminders from {site.plan().reminders.hour}:00 on working "
                   "days (`calendar-app channels list` shows where they go)")
        if training:
            click.echo("warning: training with --reminders: the messages reach the units' "
                       "real channels", err=True)
    if training:
        click.echo(f"training (培训模式): on a copy in {site.exports.parent}, made now; the live "
                   f"database, evidence and exports are not written")
    # A service manager stops with SIGTERM: end as on Ctrl+C, with the reports' refresh done.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with files.in_use():  # a sweep elsewhere spares what this server may be saving
            server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        for one in (app, *archived):
            one.extensions["refresher"].close()
        if timer is not None:
            timer.close()


@cli.command()
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
@click.pass_obj
def fsck(paths: Paths, dry_run) -> None:
    """Check the evidence folder against the database: remove half-written files and files
    no report refers to (left by a server that was killed), and name any file a report
    refers to that is missing (exit 1)."""
    from .reports.evidence import Files
    from .store.location import private

    with paths.store() as store:
        referenced = store.evidence_digests()
    folder = private(paths.db, paths.plan, ".files")
    swept = Files(folder).sweep(referenced, time.time(), dry_run)
    for line in _swept(folder, swept, dry_run=dry_run):
        click.echo(line)
    if swept.missing:
        raise CalendarAppError(f"{folder}: {len(swept.missing)} files that reports refer to "
                               f"are missing: {', '.join(swept.missing[:5])}"
                               f"{' ...' if len(swept.missing) > 5 else ''}; restore them from "
                               "a backup of the folder")


def _swept(folder: Path, swept, quiet: bool = False, dry_run: bool = False) -> list[str]:
    """What a sweep of the evidence folder did, in a line or two (none, when `quiet` and it
    did nothing)."""
    lines = []
    removed = swept.temporary + swept.unreferenced
    if removed or not quiet:
        verb = "would be removed" if dry_run else "removed"
        lines.append(f"{folder}: {swept.temporary} half-written files and {swept.unreferenced} "
                     f"files no report refers to {verb} ({swept.freed / 1024 / 1024:.1f} MB)")
    if swept.kept_young:
        lines.append(f"{folder}: {swept.kept_young} files younger than an hour left alone: "
                     "a server is running and may be saving them")
    return lines


def main() -> None:
    cli(prog_name="calendar-app")


if __name__ == "__main__":
    main()
