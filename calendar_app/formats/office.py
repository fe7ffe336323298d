"""Office files (XLSX workbooks, DOCX documents) saved as bytes that depend on their content
and their day, never on the clock.

openpyxl and python-docx date every zip member (and openpyxl the "modified" property) with the
moment they save, so the same ledger, report sheet or summary made twice would differ in a few
bytes: a rebuild would rewrite files nothing changed in, and a download could not be compared
with the last one. Pure.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from typing import Any

_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*<")


def stamped(data: bytes, stamp: datetime) -> bytes:
    """The zip `data` again, every member dated `stamp`, its core properties modified then."""
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


def docx_saved(document: Any, day: date, title: str, author: str) -> bytes:
    """`document` (a python-docx Document) as DOCX bytes, created and modified on `day`."""
    stamp = datetime.combine(day, datetime.min.time())
    props = document.core_properties
    props.created = props.modified = stamp
    props.title, props.author, props.last_modified_by = title, author, author
    props.revision = 1
    out = io.BytesIO()
    document.save(out)
    return stamped(out.getvalue(), stamp)
