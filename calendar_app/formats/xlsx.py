"""A workbook saved as bytes that depend on its content and its day, never on the clock
(see `office.stamped`)."""

from __future__ import annotations

import io
from datetime import date, datetime

from .office import stamped


def saved(book, day: date) -> bytes:
    """`book` (an openpyxl Workbook) as XLSX bytes, created, modified and zipped on `day`."""
    stamp = datetime.combine(day, datetime.min.time())
    book.properties.created = book.properties.modified = stamp
    out = io.BytesIO()
    book.save(out)
    return stamped(out.getvalue(), stamp)
