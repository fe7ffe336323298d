"""A workbook saved as bytes that depend on its content and its day, never on the clock.

openpyxl dates every zip member and the "modified" property with the moment it saves, so the
same ledger or report sheet made twice would differ in a few bytes: a rebuild would rewrite
files nothing changed in, and a download could not be compared with the last one.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime

_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*<")


def saved(book, day: date) -> bytes:
    """`book` (an openpyxl Workbook) as XLSX bytes, created, modified and zipped on `day`."""
    stamp = datetime.combine(day, datetime.min.time())
    book.properties.created = book.properties.modified = stamp
    out = io.BytesIO()
    book.save(out)
    return _stamped(out.getvalue(), stamp)


def _stamped(data: bytes, stamp: datetime) -> bytes:
    out = io.BytesIO()
    modified = rb"\g<1>" + f"{stamp:%Y-%m-%dT%H:%M:%S}Z<".encode()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, stamp.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(info)
            if info.filename == "docProps/core.xml":
                content = _MODIFIED.sub(modified, content)
            target.writestr(member, content)
    return out.getvalue()
