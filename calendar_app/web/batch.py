"""按计划全部完成: a unit's page for reporting a week or a month of one of its routines done
in one form (reports/batch.py does the checks and the reports)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, request, url_for

from .. import limits
from ..reports import batch
from ..reports.records import Recorder, RecordError
from ..schedule.reporting import grain_of, opens, period_words
from .auth import signed_in
from .events import Form, checked_uploads, typed_text
from .site import page, refresher, site
from .unit import chosen_unit

blueprint = Blueprint("batch", __name__)


@blueprint.route("/batch/<obligation>", methods=["GET", "POST"])
@signed_in
def routine(obligation: str):
    plan = site().plan()
    unit = chosen_unit(plan)
    if unit is None:
        abort(404)  # the coordinator says for which unit
    today = site().clock().date()
    key = request.values.get("period") or batch.default_choice(today)
    recorder = Recorder(g.store, plan, site().clock(), g.account.login, files=site().files())
    form = Form("batch", request.form.to_dict())
    try:
        found, slot = batch.chosen(plan, obligation, unit, key)
    except RecordError as refused:
        if refused.field == "routine":
            abort(404)
        found, slot = batch.chosen(plan, obligation, unit, batch.default_choice(today))
        form.bad("period", refused.cn)
    if request.method == "POST" and not form.errors:
        uids = request.form.getlist("uid")
        form.values["uid"] = uids
        note = typed_text(form, "note", limits.NOTE)
        uploads = checked_uploads(form)
        if not form.errors:
            try:
                done = batch.complete(recorder, obligation, unit, slot.key, uids, note, uploads)
            except RecordError as refused:
                form.bad(refused.field, refused.cn)
            else:
                refresher().touched(recorder.touched)
                words = period_words(grain_of(slot.key), slot)
                flash(f"已按计划登记完成{len(done)}项：{words}{found.short or found.title}")
                back: dict[str, Any] = {"unit": unit} if g.account.coordinator else {}
                return redirect(url_for("unit.home", **back), code=303)
    events = batch.events(recorder, found, unit, slot)
    planned = [e for e in events if batch.open_to_report(e, today)]
    body = page("web/batch.html", title="按计划全部完成", unit=unit, obligation=found,
                slot=slot, key=slot.key, words=period_words(grain_of(slot.key), slot),
                choices=batch.choices(plan, today), events=events, today=today,
                planned=planned, ahead=[e for e in events if e.status == "planned" and e.live
                                        and e not in planned],
                opens=opens(slot), form=form, limit_mb=plan.settings.evidence_mb,
                note_most=limits.NOTE, files_most=limits.EVIDENCE_FILES)
    return body, 400 if form.errors else 200
