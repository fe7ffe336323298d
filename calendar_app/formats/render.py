"""The one Jinja2 environment every page is rendered through (autoescape always on).

Templates live in the top-level `templates/` folder of a checkout; an installed package finds
the copy installed under `<prefix>/share/calendar_app/templates`. `--templates DIR` puts a
folder of overrides in front of them: a file there replaces the one of the same name.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2


def default_templates() -> Path:
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if (checkout / "base.html").exists():
        return checkout
    return Path(sys.prefix) / "share" / "calendar_app" / "templates"


@lru_cache(maxsize=8)
def environment(override: Path | None = None) -> jinja2.Environment:
    import jinja2  # here, not above: finding the templates (build's cache key) needs no Jinja

    from ..model import Entry, day_of
    from ..plan.yearday import WEEKDAY_CN
    from ..schedule.reporting import name_without_period
    from . import words

    folders = [str(override)] if override else []
    folders.append(str(default_templates()))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        autoescape=True,  # every page: user text (titles, notes, sheets) must never be markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # one run never sees templates change; stat calls cost per page
    )
    @jinja2.pass_context
    def status_cn(context: jinja2.runtime.Context, entry: Entry) -> str:
        # The page's plan, where it has one, words a reported number as its obligation asks.
        return words.status_cn(entry, context.get("plan"))

    env.filters["weekday"] = lambda d: WEEKDAY_CN[d.weekday()]
    env.filters.update(cn_date=words.cn_date, cn_day=words.cn_day, cn_when=words.cn_when,
                       cn_moment=words.cn_moment, cn_stamp=words.cn_stamp,
                       cn_period=words.cn_period, cn_target_period=words.cn_target_period,
                       status_cn=status_cn,
                       history_detail=words.history_detail, qr=qr_svg,
                       day_iso=lambda value: day_of(value).isoformat(), day=day_of,
                       groupby_obligation=words.by_obligation,
                       groupby_routine=words.by_routine, cn_run=words.cn_run,
                       name_without_period=name_without_period, cn_listed=words.cn_listed,
                       grain_cn=words.GRAIN_CN.get, actor_cn=words.actor_cn)
    return env


@lru_cache(maxsize=256)
def qr_svg(text: str):
    """A QR code of `text` as inline SVG (drawn here: nothing fetched, no image file), for a
    phone's camera to read off the screen or a printed page."""
    import segno
    from markupsafe import Markup

    code = segno.make(text, error="m", micro=False)
    return Markup(code.svg_inline(scale=3, border=2))


def render(template: str, override: Path | None = None, **context) -> str:
    return environment(override).get_template(template).render(**context)
