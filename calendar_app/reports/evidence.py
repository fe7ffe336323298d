"""Evidence files (photos, documents) attached to reports, kept beside the database.

A file is known by the SHA-256 of its bytes and stored as `<digest>.<kind>` in a folder beside
the database (`calendar.files/` next to `calendar.db`), never under a name the client chose,
and never under exports/, which is public. Its kind is read from its first bytes, not from
its name: JPEG, PNG and HEIC photos; PDF, DOCX and XLSX documents. Photos get a small JPEG
thumbnail (Pillow, with pillow-heif for HEIC) for the event page.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..errors import CalendarAppError
from ..exports import write_if_changed
from ..model import Evidence

KINDS_CN = {"jpeg": "JPEG 照片", "png": "PNG 图片", "heic": "HEIC 照片", "pdf": "PDF 文档",
            "docx": "Word 文档", "xlsx": "Excel 表格"}
MEDIA = {"jpeg": "image/jpeg", "png": "image/png", "heic": "image/heic",
         "pdf": "application/pdf",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
THUMB = 320  # pixels on the longer side


class EvidenceError(CalendarAppError):
    """A file that cannot be kept as evidence: too large, empty, or of another kind."""


def kind_of(data: bytes) -> str | None:
    """The kind of a file from its content, or None when it is none of the accepted ones."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"heim", b"heis", b"mif1",
                                                b"msf1", b"hevc"):
        return "heic"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "[Content_Types].xml" in names:
            if any(n.startswith("word/") for n in names):
                return "docx"
            if any(n.startswith("xl/") for n in names):
                return "xlsx"
    return None


@dataclass(frozen=True)
class Files:
    """The evidence folder beside one database."""

    folder: Path
    limit_mb: int = 20

    def path(self, sha256: str, kind: str) -> Path:
        return self.folder / sha256[:2] / f"{sha256}.{kind}"

    def thumbnail(self, sha256: str) -> Path:
        return self.folder / "thumbs" / f"{sha256}.jpg"

    def check(self, data: bytes, name: str) -> Upload:
        """An uploaded file checked by its content, or EvidenceError; nothing is written."""
        shown = Path(name.replace("\\", "/")).name[:120] or "未命名"
        if not data:
            raise EvidenceError(f"“{shown}”是空文件")
        if len(data) > self.limit_mb * 1024 * 1024:
            raise EvidenceError(f"“{shown}”超过 {self.limit_mb} MB，请压缩后再上传")
        kind = kind_of(data)
        if kind is None:
            raise EvidenceError(f"“{shown}”不是可接受的文件：只收 JPEG、PNG、HEIC 照片和 "
                                "PDF、Word（docx）、Excel（xlsx）文档")
        thumb = _thumbnail(data) if kind in ("jpeg", "png", "heic") else None
        if kind in ("jpeg", "png") and thumb is None:
            raise EvidenceError(f"“{shown}”无法作为图片打开，可能已损坏")
        return Upload(data, shown, kind, thumb)

    def keep(self, upload: Upload, uid: str, by: str, at: datetime) -> Evidence:
        """Store a checked file under its digest (once, however often it is sent)."""
        sha = hashlib.sha256(upload.data).hexdigest()
        write_if_changed(self.path(sha, upload.kind), upload.data)
        if upload.thumb is not None:
            write_if_changed(self.thumbnail(sha), upload.thumb)
        return Evidence(uid, sha, upload.kind, len(upload.data), upload.name, by, at)


@dataclass(frozen=True)
class Upload:
    data: bytes
    name: str
    kind: str
    thumb: bytes | None


def _thumbnail(data: bytes) -> bytes | None:
    """A small JPEG of a photo, or None if the image cannot be read."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        from pillow_heif import register_heif_opener
        register_heif_opener()
    except ImportError:  # HEIC photos are still kept, shown without a thumbnail
        pass
    try:
        with Image.open(io.BytesIO(data)) as opened:
            picture = ImageOps.exif_transpose(opened).convert("RGB")
            picture.thumbnail((THUMB, THUMB))
            out = io.BytesIO()
            picture.save(out, "JPEG", quality=80)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    return out.getvalue()
