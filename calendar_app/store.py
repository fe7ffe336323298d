"""SQLite storage through peewee: the only module that knows SQL.

The database is deferred (bound by `Store.open`), runs in WAL mode with a busy timeout so
several processes can record at once, and carries a schema version that is checked on open.
`sync` reconciles what the plan generates with what is stored: new events are inserted,
changed ones get a new revision, events the plan no longer yields become cancelled
tombstones, and nothing units recorded is touched. Every change is also a history row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import peewee as pw

from .errors import StoreError
from .model import Account, Entry, Event, Evidence, Reported, days

SCHEMA_VERSION = 2  # 2: accounts, sign-in failures and evidence files, for the web application

database = pw.SqliteDatabase(None)


class _Base(pw.Model):
    class Meta:
        database = database
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


class LoginFailure(_Base):
    id = pw.AutoField()
    login = pw.TextField(index=True)
    address = pw.TextField(index=True)
    at = pw.TextField(index=True)

    class Meta:
        table_name = "login_failure"


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


MODELS = (Setting, EventRow, EventUnit, History, AccountRow, LoginFailure, EvidenceRow)
# Tables each schema version added to the one before: an older database gains them on open.
ADDED = {2: (AccountRow, LoginFailure, EvidenceRow)}
REPORTS = ("done", "cancelled", "moved", "added")  # history actions that are a unit's report


@dataclass
class SyncResult:
    created: int = 0
    changed: int = 0
    removed: int = 0
    restored: int = 0
    unchanged: int = 0

    @property
    def touched(self) -> int:
        return self.created + self.changed + self.removed + self.restored


def _dt(value: str) -> date | datetime:
    return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)


PLAN_COLUMNS = ("obligation", "measure", "category", "slot", "slot_start", "slot_end", "title",
                "dtstart", "dtend", "day_start", "day_end", "units", "location", "alarm",
                "notes", "flexible", "digest")
PLAN_COLUMNS_NO_DAYS = tuple(c for c in PLAN_COLUMNS if c not in ("day_start", "day_end"))


def _fields(event: Event, with_days: bool = True) -> tuple:
    """The columns a rebuild owns (PLAN_COLUMNS, in order): what the plan says of an event."""
    first, after = days(event.start, event.end)
    day_start, day_end = first.isoformat(), after.isoformat()
    slot = event.slot
    alarm = int(event.alarm.total_seconds()) if event.alarm is not None else None
    head = (event.obligation, event.measure, event.category, slot.key, slot.start.isoformat(),
            slot.end.isoformat(), event.title, event.start.isoformat(), event.end.isoformat())
    tail = (" ".join(event.units), event.location, alarm, "\n".join(event.notes),
            event.flexible, event.digest)
    return (*head, day_start, day_end, *tail) if with_days else (*head, *tail)


def _insert_events(rows: list[tuple]) -> None:
    """Rows of (uid, *PLAN_COLUMNS, revised, origin, fills): new events, nothing recorded."""
    columns = ("uid", *PLAN_COLUMNS, "revised", "origin", "fills")
    _executemany(f"INSERT INTO event ({', '.join(columns)}, state, sequence, status, remark) "
                 f"VALUES ({', '.join('?' * len(columns))}, 'live', 0, 'planned', '')", rows)


def _executemany(sql: str, rows: list[tuple]) -> None:
    if rows:
        database.cursor().executemany(sql, rows)


def _unit_rows(uid: str, units: Iterable[str]) -> list[tuple]:
    return [(uid, u, "lead" if i == 0 else "co") for i, u in enumerate(units)]


class Store:
    """One open calendar database."""

    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def open(cls, path: str | Path, create: bool = False) -> Store:
        path = Path(path)
        if not create and not path.exists():
            raise StoreError(f"no database at {path}; run `calendar-app build` first")
        database.init(str(path), pragmas={"journal_mode": "wal", "busy_timeout": 10000,
                                          "foreign_keys": 1, "synchronous": "normal"})
        try:
            database.connect(reuse_if_open=True)
            database.create_tables([Setting])
            row = Setting.get_or_none(Setting.key == "schema_version")
        except pw.DatabaseError as exc:
            database.close()
            raise StoreError(f"{path} is not a calendar database: {exc}") from None
        if row is None:
            with database.atomic():
                database.create_tables(MODELS)
                for verb in ("UPDATE", "DELETE"):
                    # The history is the record of what units said: the database itself
                    # refuses to rewrite it, whatever program holds the file.
                    database.execute_sql(
                        f"CREATE TRIGGER history_no_{verb.lower()} BEFORE {verb} ON history "
                        "BEGIN SELECT RAISE(ABORT, 'history is append-only'); END")
                Setting.insert(key="schema_version", value=str(SCHEMA_VERSION)).execute()
        elif row.value != str(SCHEMA_VERSION):
            version = int(row.value) if row.value.isdigit() else 0
            if not 1 <= version < SCHEMA_VERSION:
                database.close()
                raise StoreError(f"{path} has schema version {row.value}; this calendar-app "
                                 f"reads version {SCHEMA_VERSION}")
            with database.atomic("IMMEDIATE"):
                for step in range(version + 1, SCHEMA_VERSION + 1):
                    database.create_tables(ADDED[step])
                EventRow._schema.create_indexes(safe=True)
                Setting.update(value=str(SCHEMA_VERSION)).where(
                    Setting.key == "schema_version").execute()
        return cls(path)

    def close(self) -> None:
        if not database.is_closed():
            database.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the rebuild ---------------------------------------------------------------------

    def sync(self, events: list[Event], window: tuple[date, date], at: datetime,
             by: str, source: dict | None = None) -> SyncResult:
        """Make the stored plan events of `window` match `events`, in one transaction.

        `source`, if given, says what the events were made from; `last_sync` gives it back,
        so a build of the same plan can tell that there is nothing to do.

        Rows go through plain `executemany`: row by row through the ORM, a cold build of the
        county plan spent most of its time building SQL text.
        """
        result = SyncResult()
        stamp = at.isoformat()
        wanted = {e.uid: e for e in events}
        lo, hi = window[0].isoformat(), window[1].isoformat()
        with self.transaction():
            stored = {
                uid: (digest, sequence, state, moved)
                for uid, digest, sequence, state, moved in EventRow.select(
                    EventRow.uid, EventRow.digest, EventRow.sequence, EventRow.state,
                    EventRow.moved_start.is_null(False))
                .where(EventRow.origin == "plan").tuples()
            }
            inserts, updates, kept_days, units, history = [], [], [], [], []
            for uid, event in wanted.items():
                old = stored.get(uid)
                if old is None:
                    inserts.append((uid, *_fields(event), stamp, "plan", ""))
                    units += _unit_rows(uid, event.units)
                    history.append((uid, stamp, by, "created", "{}"))
                    result.created += 1
                    continue
                digest, sequence, state, moved = old
                if digest == event.digest and state == "live":
                    result.unchanged += 1
                    continue
                action = "restored" if state == "removed" else "changed"
                # A unit's move beats the rule: a moved event keeps the days it is found on.
                (kept_days if moved else updates).append(
                    (*_fields(event, with_days=not moved), sequence + 1, stamp, uid))
                units += _unit_rows(uid, event.units)
                history.append((uid, stamp, by, action,
                                json.dumps({"digest": event.digest})))
                if action == "restored":
                    result.restored += 1
                else:
                    result.changed += 1
            gone = [uid for uid, in EventRow.select(EventRow.uid).where(
                (EventRow.origin == "plan") & (EventRow.state == "live")
                & (EventRow.day_start < hi) & (EventRow.day_end > lo)).tuples()
                if uid not in wanted]
            history += [(uid, stamp, by, "removed",
                         '{"reason": "no longer follows from the plan"}') for uid in gone]
            result.removed = len(gone)

            _insert_events(inserts)
            for rows, columns in ((updates, PLAN_COLUMNS), (kept_days, PLAN_COLUMNS_NO_DAYS)):
                sets = ", ".join(f"{c} = ?" for c in (*columns, "sequence", "revised"))
                _executemany(f"UPDATE event SET {sets}, state = 'live' WHERE uid = ?", rows)
            _executemany("DELETE FROM event_unit WHERE uid = ?",
                         [(row[-1],) for row in (*updates, *kept_days)])
            _executemany("UPDATE event SET state = 'removed', sequence = sequence + 1, "
                         "revised = ? WHERE uid = ?", [(stamp, uid) for uid in gone])
            _executemany("INSERT INTO event_unit (uid, unit, role) VALUES (?, ?, ?)", units)
            _executemany("INSERT INTO history (uid, at, by, action, detail) "
                         "VALUES (?, ?, ?, ?, ?)", history)
            if source is not None:
                Setting.replace(key="last_sync", value=json.dumps(source)).execute()
        return result

    def last_sync(self) -> dict | None:
        row = Setting.get_or_none(Setting.key == "last_sync")
        return json.loads(row.value) if row else None

    # -- what units record --------------------------------------------------------------

    def transaction(self):
        """One all-or-nothing unit of work. BEGIN IMMEDIATE takes the write lock first, so what
        is read inside it (the checks of a report) stays true until the commit; nested, it is
        a savepoint of the outer one."""
        return database.atomic("IMMEDIATE")

    def entry(self, uid: str) -> Entry | None:
        row = EventRow.select(*ENTRY_COLUMNS).where(EventRow.uid == uid).tuples().first()
        return _entry(row) if row else None

    def mark_done(self, uid: str, at: datetime, by: str, on: date, attendance: int | None,
                  note: str, evidence: str = "", files: tuple[Evidence, ...] = ()) -> None:
        """`evidence` says where the evidence is; `files` are evidence files attached now."""
        detail = {"on": on.isoformat(), "attendance": attendance, "note": note,
                  "evidence": evidence}
        if files:
            detail["files"] = [{"name": f.name, "sha256": f.sha256} for f in files]
        with self.transaction():
            self._record(uid, at, by, "done",
                         {"status": "done", "done_on": on.isoformat(),
                          "attendance": attendance, "remark": note}, detail)
            for file in files:
                self.add_evidence(file)

    def cancel(self, uid: str, at: datetime, by: str, reason: str) -> None:
        self._record(uid, at, by, "cancelled", {"status": "cancelled", "remark": reason},
                     {"reason": reason})

    def move(self, uid: str, at: datetime, by: str, start: date | datetime,
             end: date | datetime, was: date | datetime) -> None:
        """Put the event on new days; rebuilds keep it there until `reset`."""
        first, after = days(start, end)
        self._record(uid, at, by, "moved",
                     {"moved_start": start.isoformat(), "moved_end": end.isoformat(),
                      "day_start": first.isoformat(), "day_end": after.isoformat()},
                     {"from": was.isoformat(), "to": start.isoformat()})

    def reset(self, uid: str, at: datetime, by: str, was: str) -> None:
        """Forget what was recorded: the event is again what the plan placed."""
        with self.transaction():
            dtstart, dtend = EventRow.select(EventRow.dtstart, EventRow.dtend).where(
                EventRow.uid == uid).tuples().get()
            first, after = days(_dt(dtstart), _dt(dtend))
            self._record(uid, at, by, "reset",
                         {"status": "planned", "moved_start": None, "moved_end": None,
                          "attendance": None, "done_on": None, "remark": "",
                          "day_start": first.isoformat(), "day_end": after.isoformat()},
                         {"was": was})

    def add_event(self, event: Event, at: datetime, by: str, fills: str = "") -> None:
        """Store an event a unit added itself (ad hoc, or a make-up filling another's slot)."""
        stamp = at.isoformat()
        with self.transaction():
            _insert_events([(event.uid, *_fields(event), stamp, "added", fills)])
            _executemany("INSERT INTO event_unit (uid, unit, role) VALUES (?, ?, ?)",
                         _unit_rows(event.uid, event.units))
            History.insert(_history(event.uid, stamp, by, "added",
                                    {"title": event.title, "on": event.start.isoformat(),
                                     "fills": fills})).execute()

    def _record(self, uid: str, at: datetime, by: str, action: str, columns: dict,
                detail: dict) -> None:
        """A report: new columns, a new revision (feeds see SEQUENCE + 1) and its history row,
        committed together or not at all."""
        try:
            with self.transaction():
                EventRow.update(**columns, sequence=EventRow.sequence + 1,
                                revised=at.isoformat()).where(EventRow.uid == uid).execute()
                History.insert(_history(uid, at.isoformat(), by, action, detail)).execute()
        except pw.DatabaseError as exc:
            raise StoreError(f"{self.path}: the report on {uid} was not saved, nothing "
                             f"changed: {exc}") from None

    # -- views ---------------------------------------------------------------------------

    def entries(self, unit: str | None = None, start: date | None = None,
                end: date | None = None, measure: int | None = None,
                include_removed: bool = True, obligations: Iterable[str] | None = None,
                unreported_by: date | None = None) -> list[Entry]:
        """Stored events overlapping [start, end), in date order; only those of some
        `obligations`, or only those still expected and with nothing reported that are over
        by the day `unreported_by`."""
        query = EventRow.select(*ENTRY_COLUMNS)
        if unit is not None:
            query = query.join(EventUnit, on=(EventUnit.uid == EventRow.uid)).where(
                EventUnit.unit == unit)
        if start is not None:
            query = query.where(EventRow.day_end > start.isoformat())
        if end is not None:
            query = query.where(EventRow.day_start < end.isoformat())
        if measure is not None:
            query = query.where(EventRow.measure == measure)
        if not include_removed:
            query = query.where(EventRow.state == "live")
        if obligations is not None:
            query = query.where(EventRow.obligation.in_(list(obligations)))
        if unreported_by is not None:
            query = query.where((EventRow.state == "live") & (EventRow.status == "planned")
                                & (EventRow.day_end <= unreported_by.isoformat()))
        query = query.order_by(EventRow.day_start, EventRow.uid)
        # Raw rows: peewee's conversion of each value doubled the time of a full read.
        return [_entry(row) for row in database.execute(query).fetchall()]

    def unreported(self, unit: str, by: date, latest: int = 12) -> list[tuple[int, list[Entry]]]:
        """The events a unit leads (and so must report) that are still expected, over by the
        day `by`, with nothing reported, by obligation (an added event on its own), in the
        order of each one's first: how many, and the `latest` of them. A busy unit's years of
        a daily routine are counted here, not read."""
        key = "CASE WHEN e.obligation = '' THEN e.uid ELSE e.obligation END"
        where = ("FROM event e JOIN event_unit u ON u.uid = e.uid WHERE u.unit = ? "
                 "AND u.role = 'lead' AND e.state = 'live' AND e.status = 'planned' "
                 "AND e.day_end <= ?")
        args = (unit, by.isoformat())
        # Both answered from indexes alone; only the latest few events are then read whole.
        counts = database.execute_sql(
            f"SELECT {key}, COUNT(*), MIN(e.day_start) {where} GROUP BY 1 ORDER BY 3, 1",
            args).fetchall()
        recent = [uid for uid, in database.execute_sql(
            f"SELECT uid FROM (SELECT e.uid, ROW_NUMBER() OVER (PARTITION BY {key} ORDER BY "
            f"e.day_start DESC, e.uid DESC) AS n {where}) AS latest WHERE n <= ?",
            (*args, latest)).fetchall()]
        found: dict[str, list[Entry]] = {}
        for entry in self._by_uid(recent):
            found.setdefault(entry.obligation or entry.uid, []).append(entry)
        return [(count, found[k]) for k, count, _ in counts]

    def _by_uid(self, uids: list[str]) -> list[Entry]:
        """The events of these uids, in date order (read in batches: SQL's limit on
        parameters)."""
        found = []
        columns = ", ".join(c.column_name for c in ENTRY_COLUMNS)
        for i in range(0, len(uids), 500):
            batch = uids[i:i + 500]
            # Plain SQL: building an IN of a few hundred values through peewee cost more than
            # running it.
            rows = database.execute_sql(f"SELECT {columns} FROM event WHERE uid IN "
                                        f"({', '.join('?' * len(batch))})", batch).fetchall()
            found += [_entry(row) for row in rows]
        return sorted(found, key=lambda e: (e.start if e.all_day else e.start.date(), e.uid))

    def history(self, uid: str) -> list[dict]:
        rows = History.select().where(History.uid == uid).order_by(History.id).dicts()
        return [{**r, "detail": json.loads(r["detail"])} for r in rows]

    def reports(self) -> dict[str, Reported]:
        """Every event units reported on (done, cancelled, moved, added): when the last report
        came, and the evidence handed in: the done reports that named some, plus the files
        attached. Two queries for the whole plan."""
        named = pw.fn.json_extract(History.detail, "$.evidence")
        rows = (History.select(History.uid, pw.fn.MAX(History.at),
                               pw.fn.SUM(pw.Case(None, [((History.action == "done")
                                                         & (named != ""), 1)], 0)))
                .where(History.action.in_(REPORTS)).group_by(History.uid).tuples())
        files = self.evidence_counts()
        return {uid: Reported(datetime.fromisoformat(at), count + files.get(uid, 0))
                for uid, at, count in rows}

    def generation(self) -> int:
        """Grows with every change to any event: each one writes a history row."""
        return History.select(pw.fn.MAX(History.id)).scalar() or 0

    # -- accounts and evidence (the web application) ---------------------------------------

    def add_account(self, login: str, unit: str | None, coordinator: bool, password: str,
                    at: datetime) -> None:
        stamp = at.isoformat()
        try:
            AccountRow.insert(login=login, unit=unit, coordinator=coordinator,
                              password=password, created=stamp, changed=stamp).execute()
        except pw.IntegrityError:
            raise StoreError(f"an account {login!r} exists already") from None

    def account(self, login: str) -> Account | None:
        row = AccountRow.get_or_none(AccountRow.login == login)
        return _account(row) if row else None

    def accounts(self) -> list[Account]:
        return [_account(r) for r in AccountRow.select().order_by(AccountRow.login)]

    def update_account(self, login: str, at: datetime, password: str | None = None,
                       enabled: bool | None = None) -> None:
        changes = {"changed": at.isoformat()}
        if password is not None:
            changes["password"] = password
        if enabled is not None:
            changes["enabled"] = enabled
        if not AccountRow.update(**changes).where(AccountRow.login == login).execute():
            raise StoreError(f"no account {login!r}")

    def note_failed_login(self, login: str, address: str, at: datetime) -> None:
        LoginFailure.insert(login=login, address=address, at=at.isoformat()).execute()

    def failed_logins(self, login: str, address: str, since: datetime) -> tuple[int, int]:
        """Failed sign-ins since `since`: for this login, and from this address."""
        recent = LoginFailure.select().where(LoginFailure.at >= since.isoformat())
        return (recent.where(LoginFailure.login == login).count(),
                recent.where(LoginFailure.address == address).count())

    def forget_failed_logins(self, login: str, before: datetime) -> None:
        """A good sign-in clears the login's record, and old failures go in passing."""
        LoginFailure.delete().where((LoginFailure.login == login)
                                    | (LoginFailure.at < before.isoformat())).execute()

    def add_evidence(self, evidence: Evidence) -> None:
        EvidenceRow.insert(uid=evidence.uid, sha256=evidence.sha256, kind=evidence.kind,
                           size=evidence.size, name=evidence.name, by=evidence.by,
                           at=evidence.at.isoformat()).execute()

    def evidence(self, uid: str) -> list[Evidence]:
        rows = EvidenceRow.select().where(EvidenceRow.uid == uid).order_by(EvidenceRow.id)
        return [_evidence(r) for r in rows]

    def evidence_of(self, sha256: str) -> list[Evidence]:
        """Every report a file was attached to (the same photo may serve two events)."""
        rows = EvidenceRow.select().where(EvidenceRow.sha256 == sha256).order_by(EvidenceRow.id)
        return [_evidence(r) for r in rows]

    def evidence_counts(self) -> dict[str, int]:
        """uid -> how many files its reports carry."""
        rows = EvidenceRow.select(EvidenceRow.uid, pw.fn.COUNT(EvidenceRow.id)).group_by(
            EvidenceRow.uid).tuples()
        return dict(rows)

    def uid_domain(self, proposed: str) -> str:
        """The domain of feed UIDs, fixed by the first call that proposes one and kept from
        then on: a UID that follows a later change of base_url would be a duplicate in every
        subscriber's calendar. "" proposes nothing (and gets "" until something is fixed)."""
        row = Setting.get_or_none(Setting.key == "uid_domain")
        if row is not None:
            return row.value
        if proposed:
            Setting.insert(key="uid_domain", value=proposed).execute()
        return proposed

    def uids(self) -> list[str]:
        """Every stored uid, sorted."""
        return [uid for uid, in EventRow.select(EventRow.uid).order_by(EventRow.uid).tuples()]


def _account(row: AccountRow) -> Account:
    return Account(row.login, row.unit, bool(row.coordinator), row.password, bool(row.enabled),
                   datetime.fromisoformat(row.created), datetime.fromisoformat(row.changed))


def _evidence(row: EvidenceRow) -> Evidence:
    return Evidence(row.uid, row.sha256, row.kind, row.size, row.name, row.by,
                    datetime.fromisoformat(row.at))


def _history(uid: str, at: str, by: str, action: str, detail: dict) -> dict:
    return {"uid": uid, "at": at, "by": by, "action": action,
            "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True)}


ENTRY_COLUMNS = (
    EventRow.uid, EventRow.obligation, EventRow.measure, EventRow.category, EventRow.slot,
    EventRow.slot_start, EventRow.slot_end, EventRow.title, EventRow.dtstart, EventRow.dtend,
    EventRow.moved_start, EventRow.moved_end, EventRow.units, EventRow.location, EventRow.alarm,
    EventRow.notes, EventRow.flexible, EventRow.origin, EventRow.state, EventRow.status,
    EventRow.sequence, EventRow.revised, EventRow.attendance, EventRow.fills, EventRow.done_on,
    EventRow.remark, EventRow.digest)


def _entry(row: tuple) -> Entry:
    (uid, obligation, measure, category, slot, slot_start, slot_end, title, dtstart, dtend,
     moved_start, moved_end, units, location, alarm, notes, flexible, origin, state, status,
     sequence, revised, attendance, fills, done_on, remark, digest) = row
    return Entry(
        uid=uid, obligation=obligation, measure=measure, category=category, slot=slot,
        slot_start=date.fromisoformat(slot_start), slot_end=date.fromisoformat(slot_end),
        title=title, start=_dt(moved_start or dtstart), end=_dt(moved_end or dtend),
        units=tuple(units.split()), location=location,
        alarm=timedelta(seconds=alarm) if alarm is not None else None,
        notes=tuple(n for n in notes.split("\n") if n), flexible=bool(flexible), origin=origin,
        state=state, status=status, sequence=sequence, revised=datetime.fromisoformat(revised),
        attendance=attendance, fills=fills, moved=moved_start is not None,
        done_on=date.fromisoformat(done_on) if done_on else None, remark=remark, digest=digest,
        planned_start=_dt(dtstart) if moved_start else None)
