"""The tables of a calendar database, their schema version and the history's guard.

The models here are bound to no database. `Tables(db)` makes copies of them bound to one
store's own database object, so two stores open at once, in one thread or several, never
use each other's connection.
"""

from __future__ import annotations

from typing import Any

from .connection import pw

# 2: accounts, sign-in failures and evidence files, for the web application;
# 3: the channels reminders are sent through, and the log of what was sent; 4: the accounts'
# history; 5: the web application's sessions;
# 6: report tasks and what a period's report says (kind, reported, counts, missed days) and
#    the coordinator's review of reports.
SCHEMA_VERSION = 6


class _Base(pw.Model):
    class Meta:
        database = None  # unbound: each store binds its own copies (`Tables`)
        legacy_table_names = False


class Setting(_Base):
    key = pw.TextField(primary_key=True)
    value = pw.TextField()


class EventRow(_Base):
    uid = pw.TextField(primary_key=True)
    obligation = pw.TextField(index=True)
    measure = pw.IntegerField(index=True)
    category = pw.TextField()
    slot = pw.TextField()
    slot_start = pw.TextField()
    slot_end = pw.TextField()
    title = pw.TextField()
    dtstart = pw.TextField()  # ISO date, or date-time with offset
    dtend = pw.TextField()
    day_start = pw.TextField(index=True)  # first day, for window queries
    day_end = pw.TextField(index=True)  # day after the last
    units = pw.TextField()  # unit ids, lead first, space separated
    location = pw.TextField(default="")
    alarm = pw.IntegerField(null=True)  # seconds before the start
    notes = pw.TextField(default="")  # one caveat per line
    flexible = pw.BooleanField(default=False)
    origin = pw.TextField(default="plan")  # plan | added
    state = pw.TextField(default="live")  # live | removed
    digest = pw.TextField()
    sequence = pw.IntegerField(default=0)
    revised = pw.TextField()
    # What units report (recording): never written by a rebuild.
    status = pw.TextField(default="planned")  # planned | done | cancelled
    moved_start = pw.TextField(null=True)
    moved_end = pw.TextField(null=True)
    attendance = pw.IntegerField(null=True)
    done_on = pw.TextField(null=True)
    remark = pw.TextField(default="")
    fills = pw.TextField(default="")
    # Since version 3. Written by a rebuild: an event or a period's report task, and how the
    # event is reported (each on its own, or in its period's report).
    # The same SQL defaults as the columns an older database gains (COLUMNS_ADDED).
    kind = pw.TextField(default="event", constraints=[pw.SQL("DEFAULT 'event'")])  # | report
    reported = pw.TextField(default="each", constraints=[pw.SQL("DEFAULT 'each'")])
    # What a period's report says, and the coordinator's review of any report.
    done_count = pw.IntegerField(null=True)
    planned_count = pw.IntegerField(null=True)
    missed = pw.TextField(default="", constraints=[pw.SQL("DEFAULT ''")])  # ISO days
    review = pw.TextField(default="", constraints=[pw.SQL("DEFAULT ''")])  # | filed | passed | returned
    review_note = pw.TextField(default="", constraints=[pw.SQL("DEFAULT ''")])

    class Meta:
        table_name = "event"
        # What a unit's home page asks of its events, answered from the index alone.
        indexes = ((("uid", "state", "status", "day_end", "obligation", "day_start"), False),)


class EventUnit(_Base):
    uid = pw.TextField()
    unit = pw.TextField()
    role = pw.TextField()  # lead | co

    class Meta:
        table_name = "event_unit"
        primary_key = pw.CompositeKey("uid", "unit")
        indexes = ((("unit", "uid"), False),)


class History(_Base):
    """Append-only: every creation, change, removal and record, never rewritten."""

    id = pw.AutoField()
    uid = pw.TextField(index=True)
    at = pw.TextField()
    by = pw.TextField()
    action = pw.TextField()
    detail = pw.TextField(default="{}")


class AccountRow(_Base):
    """Who may sign in: a unit's staff member, or the coordinator (unit empty)."""

    login = pw.TextField(primary_key=True)
    unit = pw.TextField(null=True)
    coordinator = pw.BooleanField(default=False)
    password = pw.TextField()  # a password hash, never the password
    enabled = pw.BooleanField(default=True)
    created = pw.TextField()
    changed = pw.TextField()  # when the password or the state last changed: ends old sessions

    class Meta:
        table_name = "account"


class AccountChangeRow(_Base):
    """Every change to an account (made, a new password, disabled, enabled) and who made it:
    rows are only ever added."""

    id = pw.AutoField()
    login = pw.TextField(index=True)
    at = pw.TextField()
    by = pw.TextField()
    action = pw.TextField()  # created | password | disabled | enabled
    unit = pw.TextField(null=True)  # the account's unit; empty for the coordinator's

    class Meta:
        table_name = "account_change"


class LoginFailure(_Base):
    """A sign-in attempt, counted as it begins and kept if the password was wrong."""

    id = pw.AutoField()
    login = pw.TextField(index=True)
    # Where it came from: the client's address, or `device:ID` for a browser that proved it
    # signed in to this login before (its device cookie).
    address = pw.TextField(index=True)
    at = pw.TextField(index=True)

    class Meta:
        table_name = "login_failure"


class SessionRow(_Base):
    """A signed-in browser: its cookie carries the token, the table its digest. Signing out
    ends the row, so a copy of the cookie made before is worth nothing after."""

    id = pw.TextField(primary_key=True)  # SHA-256 of the token, never the token
    login = pw.TextField(index=True)
    created = pw.TextField(index=True)
    ended = pw.TextField(null=True)

    class Meta:
        table_name = "session"


class EvidenceRow(_Base):
    """A file a unit attached to a report; the bytes live beside the database, by digest."""

    id = pw.AutoField()
    uid = pw.TextField(index=True)
    sha256 = pw.TextField()
    kind = pw.TextField()  # jpeg | png | heic | pdf | docx | xlsx
    size = pw.IntegerField()
    name = pw.TextField()  # as the client called it: shown, never used as a path
    by = pw.TextField()
    at = pw.TextField()

    class Meta:
        table_name = "evidence"


class ChannelRow(_Base):
    """Where a unit's (or the coordinator's, unit "") reminders go: an Apprise URL, which holds
    the secret of a group robot or a mail account, so only `shown` (masked) ever leaves."""

    id = pw.AutoField()
    unit = pw.TextField()  # a unit id; "" for the coordinator
    url = pw.TextField()  # the secret: read only to send
    shown = pw.TextField()  # the URL masked, as lists and pages show it
    ident = pw.TextField()  # Apprise's identity of the URL: one channel, however written
    service = pw.TextField()  # wecombot | dingtalk | feishu | lark | mailto | json
    added = pw.TextField()
    by = pw.TextField()
    tried = pw.TextField(null=True)  # the last attempt to send through it
    delivered = pw.TextField(null=True)  # the last message the service accepted
    error = pw.TextField(default="")  # why the last attempt failed; "" when it did not

    class Meta:
        table_name = "channel"
        indexes = ((("unit", "ident"), True),)


class ReminderRow(_Base):
    """Every attempt to send a reminder through a channel, kept: what it was about (unit,
    kind, subject, the day it fell due), the channel's identity, and whether it arrived."""

    id = pw.AutoField()
    unit = pw.TextField()  # who it went to: a unit id, "" for the coordinator
    kind = pw.TextField()
    subject = pw.TextField()
    day = pw.TextField()  # ISO date the reminder fell due on
    channel = pw.TextField()  # the channel's ident: a channel set again keeps its log
    at = pw.TextField()
    ok = pw.BooleanField()
    error = pw.TextField(default="")

    class Meta:
        table_name = "reminder"
        indexes = ((("unit", "day"), False),)


# A reminder arrives once per channel: a second sender (a rerun, another server) cannot log
# the same delivery twice, whatever it did before it tried.
ReminderRow.add_index(ReminderRow.index(ReminderRow.unit, ReminderRow.kind, ReminderRow.subject,
                                        ReminderRow.day, ReminderRow.channel, unique=True,
                                        where=pw.SQL('"ok"')))  # true on both databases


# The history is the record of what units said: the database itself refuses to rewrite it,
# whatever program connects. PROCEDURE, not FUNCTION: the servers that speak PostgreSQL's
# dialect from before version 11 (openGauss among them) know only that spelling.
SQLITE_GUARD = tuple(f"CREATE TRIGGER history_no_{verb.lower()} BEFORE {verb} ON history "
                     "BEGIN SELECT RAISE(ABORT, 'history is append-only'); END"
                     for verb in ("UPDATE", "DELETE"))
POSTGRES_GUARD = (
    "CREATE FUNCTION history_append_only() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION "
    "'history is append-only' USING ERRCODE = 'integrity_constraint_violation'; END $$ "
    "LANGUAGE plpgsql",
    *(f"CREATE TRIGGER history_no_{verb.lower()} BEFORE {verb} ON history FOR EACH {each} "
      "EXECUTE PROCEDURE history_append_only()"
      for verb, each in (("UPDATE", "ROW"), ("DELETE", "ROW"), ("TRUNCATE", "STATEMENT"))))


def _bound(model: type[pw.Model], db: Any) -> Any:
    """A subclass of `model` on `db`, with the same table."""
    meta = type("Meta", (), {"database": db, "table_name": model._meta.table_name})
    return type(model.__name__, (model,), {"Meta": meta, "__module__": __name__})


class Tables:
    """The models bound to one database object."""

    def __init__(self, db: Any):
        self.setting: type[Setting] = _bound(Setting, db)
        self.event: type[EventRow] = _bound(EventRow, db)
        self.event_unit: type[EventUnit] = _bound(EventUnit, db)
        self.history: type[History] = _bound(History, db)
        self.account: type[AccountRow] = _bound(AccountRow, db)
        self.login_failure: type[LoginFailure] = _bound(LoginFailure, db)
        self.account_change: type[AccountChangeRow] = _bound(AccountChangeRow, db)
        self.evidence: type[EvidenceRow] = _bound(EvidenceRow, db)
        self.channel: type[ChannelRow] = _bound(ChannelRow, db)
        self.reminder: type[ReminderRow] = _bound(ReminderRow, db)
        self.session: type[SessionRow] = _bound(SessionRow, db)
        self.all = (self.setting, self.event, self.event_unit, self.history, self.account,
                    self.login_failure, self.evidence, self.channel, self.reminder,
                    self.account_change, self.session)
        # Tables each schema version added to the one before: an older database gains them.
        self.added = {2: (self.account, self.login_failure, self.evidence),
                      3: (self.channel, self.reminder), 4: (self.account_change,),
                      5: (self.session,)}


# Columns each schema version added to a table of the one before, as (table, column, SQL
# type and default): an older database gains them, its rows taking the default.
COLUMNS_ADDED = {6: (
    ("event", "kind", "TEXT NOT NULL DEFAULT 'event'"),
    ("event", "reported", "TEXT NOT NULL DEFAULT 'each'"),
    ("event", "done_count", "INTEGER"),
    ("event", "planned_count", "INTEGER"),
    ("event", "missed", "TEXT NOT NULL DEFAULT ''"),
    ("event", "review", "TEXT NOT NULL DEFAULT ''"),
    ("event", "review_note", "TEXT NOT NULL DEFAULT ''"),
)}
