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
    checkout = Path(__file__).resolve().parent.parent / "templates"
    if (checkout / "base.html").exists():
        return checkout
    return Path(sys.prefix) / "share" / "calendar_app" / "templates"


@lru_cache(maxsize=8)
def environment(override: Path | None = None) -> jinja2.Environment:
    import jinja2  # here, not above: finding the templates (build's cache key) needs no Jinja

    from .yearday import WEEKDAY_CN

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
    env.filters["weekday"] = lambda d: WEEKDAY_CN[d.weekday()]
    return env


def render(template: str, override: Path | None = None, **context) -> str:
    return environment(override).get_template(template).render(**context)
