"""Evidence files (photos, documents) attached to reports, kept beside the database.

A file is known by the SHA-256 of its bytes and stored as `<digest>.<kind>` in a folder beside
the database (`calendar.files/` next to `calendar.db`), never under a name the client chose,
and never under exports/, which is public. Its kind is read from its first bytes, not from
its name: JPEG, PNG and HEIC photos; PDF, DOCX and XLSX documents. Photos get a small JPEG
thumbnail (Pillow, with pillow-heif for HEIC) for the event page.

Checked first, then stored: `check` reads an upload (its size, kind, and for a photo its
pixels, from the header, before anything is decoded) and makes the thumbnail in bounded
memory, writing nothing; `storing` writes the checked files, synced to disk, only once the
report has passed its own checks, and takes back the files it made if the report is not
saved after all. What a killed process leaves (a temporary file, a file no report refers to)
is swept at start-up and by `calendar-app fsck` (`sweep`).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import io
import os
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from .. import limits
from ..errors import CalendarAppError
from ..model import Evidence

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

KINDS_CN = {"jpeg": "JPEG 照片", "png": "PNG 图片", "heic": "HEIC 照片", "pdf": "PDF 文档",
            "docx": "Word 文档", "xlsx": "Excel 表格"}
MEDIA = {"jpeg": "image/jpeg", "png": "image/png", "heic": "image/heic",
         "pdf": "application/pdf",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
PHOTOS = ("jpeg", "png", "heic")
THUMB = 320  # pixels on the longer side
CHUNK = 1024 * 1024
GRACE = 3600  # seconds: a file younger than this may be a report still being saved elsewhere
# Decoding a photo takes up to 4 bytes a pixel (200 MB at `limits.IMAGE_PIXELS`): one at a
# time in a process, however many are uploaded at once, so eight photos cost one's memory.
_DECODING = threading.Lock()


class EvidenceError(CalendarAppError):
    """A file that cannot be kept as evidence: too large, empty, or of another kind."""


def kind_of(head: bytes, stream: IO[bytes]) -> str | None:
    """The kind of a file from its content (its first bytes; for a zip, its list of members),
    or None when it is none of the accepted ones."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"heim", b"heis", b"mif1",
                                                b"msf1", b"hevc"):
        return "heic"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            stream.seek(0)
            names = set(zipfile.ZipFile(stream).namelist())  # the central directory alone
        except (zipfile.BadZipFile, ValueError, OSError, EOFError):
            return None
        if "[Content_Types].xml" in names:
            if any(n.startswith("word/") for n in names):
                return "docx"
            if any(n.startswith("xl/") for n in names):
                return "xlsx"
    return None


def shown_name(name: str) -> str:
    """An uploaded file's name as it is kept and shown: its last part, without control
    characters, at most `limits.FILE_NAME` characters."""
    last = Path(name.replace("\\", "/")).name
    clean = "".join(c for c in last if c.isprintable())
    return clean[:limits.FILE_NAME] or "未命名"


@dataclass(frozen=True)
class Upload:
    """A file checked and not yet stored: its bytes stay in the request's (spooled) file."""

    stream: IO[bytes] = field(repr=False)
    sha256: str
    size: int
    name: str
    kind: str
    thumb: bytes | None = field(repr=False)


@dataclass(frozen=True)
class Swept:
    """What a sweep of the evidence folder found and did."""

    temporary: int = 0  # half-written files of a process that was killed, removed
    unreferenced: int = 0  # files and thumbnails no report refers to, removed
    freed: int = 0  # bytes
    kept_young: int = 0  # left alone: young enough to belong to a report still being saved
    missing: tuple[str, ...] = ()  # files reports refer to that are not there
    alone: bool = True  # no other process was using the folder: nothing had to be spared


@dataclass(frozen=True)
class Files:
    """The evidence folder beside one database."""

    folder: Path
    limit_mb: int = 20

    def path(self, sha256: str, kind: str) -> Path:
        return self.folder / sha256[:2] / f"{sha256}.{kind}"

    def thumbnail(self, sha256: str) -> Path:
        return self.folder / "thumbs" / f"{sha256}.jpg"

    # -- checking ----------------------------------------------------------------------------

    def check(self, data: bytes | IO[bytes], name: str) -> Upload:
        """An uploaded file checked by its content, or EvidenceError; nothing is written.
        A stream is read in pieces, never whole, and kept for `storing`."""
        stream = io.BytesIO(data) if isinstance(data, bytes) else data
        shown = shown_name(name)
        digest, size = hashlib.sha256(), 0
        stream.seek(0)
        most = self.limit_mb * 1024 * 1024
        while piece := stream.read(CHUNK):
            size += len(piece)
            if size > most:
                raise EvidenceError(f"“{shown}”超过{self.limit_mb} MB，请压缩后再上传")
            digest.update(piece)
        if not size:
            raise EvidenceError(f"“{shown}”是空文件")
        stream.seek(0)
        kind = kind_of(stream.read(16), stream)
        if kind is None:
            raise EvidenceError(f"“{shown}”不是可接受的文件：只收 JPEG、PNG、HEIC 照片和 "
                                "PDF、Word（docx）、Excel（xlsx）文档")
        thumb = _thumbnail(stream, shown) if kind in PHOTOS else None
        if kind in ("jpeg", "png") and thumb is None:
            raise EvidenceError(f"“{shown}”无法作为图片打开，可能已损坏")
        return Upload(stream, digest.hexdigest(), size, shown, kind, thumb)

    # -- storing -----------------------------------------------------------------------------

    @contextmanager
    def storing(self, uploads: list[Upload], uid: str, by: str, at: datetime,
                referenced: Callable[[str], bool]) -> Iterator[Callable[[], tuple[Evidence, ...]]]:
        """Gives `keep`, which writes the checked files (each once, however often it is
        sent), synced to disk, and returns the rows that record them: called inside the
        report's transaction once its checks passed. If the block raises (the report was not
        saved), the files `keep` made are taken back, unless a report refers to them."""
        made: list[Path] = []

        def keep() -> tuple[Evidence, ...]:
            for upload in uploads:
                written = [(self.path(upload.sha256, upload.kind), upload.stream)]
                if upload.thumb is not None:
                    written.append((self.thumbnail(upload.sha256), io.BytesIO(upload.thumb)))
                made.extend(path for path, source in written if self._write(path, source))
            return tuple(Evidence(uid, u.sha256, u.kind, u.size, u.name, by, at)
                         for u in uploads)

        try:
            yield keep
        except BaseException:
            for path in made:
                try:
                    if referenced(path.name.split(".")[0]):
                        continue
                except CalendarAppError:
                    continue  # the database is away: the next sweep decides
                path.unlink(missing_ok=True)
            raise

    def _write(self, path: Path, source: IO[bytes]) -> bool:
        """Write a file by digest unless it is there; True when this call made it. A file
        already there is touched, so that a sweep elsewhere takes it for a new one."""
        try:
            os.utime(path)
            return False
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            os.fchmod(fd, 0o640)
            with os.fdopen(fd, "wb") as handle:
                source.seek(0)
                while piece := source.read(CHUNK):
                    handle.write(piece)
                handle.flush()
                os.fsync(handle.fileno())  # what a unit handed in must outlive a power cut
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _sync_folder(path.parent)
        return True

    # -- sweeping ----------------------------------------------------------------------------

    @contextmanager
    def in_use(self) -> Iterator[None]:
        """Held while a server may write here (a shared lock): a sweep that cannot take the
        folder for itself spares what is young, since another process may be saving it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH)
            yield

    def sweep(self, referenced: set[str], now: float, dry_run: bool = False) -> Swept:
        """Remove temporary files and files no report refers to (`referenced`: the digests
        the database holds), and name referenced files that are missing. With the folder to
        itself (no server holding `in_use`) everything found is taken; otherwise only what
        is older than `GRACE` seconds."""
        if not self.folder.is_dir():
            return Swept(missing=tuple(sorted(referenced)))
        with open(self.folder / ".lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                alone = True
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                alone = False
            return self._sweep(referenced, now - (0 if alone else GRACE), alone, dry_run)

    def _sweep(self, referenced: set[str], before: float, alone: bool, dry_run: bool) -> Swept:
        temporary = unreferenced = freed = young = 0
        present: set[str] = set()
        for path in sorted(self.folder.rglob("*")):
            if not path.is_file() or path.name == ".lock":
                continue
            status = path.stat()
            digest = path.name.split(".")[0]
            is_temporary = path.name.startswith(".") and path.name.endswith(".tmp")
            if not is_temporary and digest in referenced:
                if path.parent.name != "thumbs":
                    present.add(digest)
                continue
            if status.st_mtime >= before:
                young += 1
                continue
            if not dry_run:
                path.unlink(missing_ok=True)
            freed += status.st_size
            if is_temporary:
                temporary += 1
            else:
                unreferenced += 1
        return Swept(temporary, unreferenced, freed, young,
                     tuple(sorted(referenced - present)), alone)


def _sync_folder(folder: Path) -> None:
    """The rename itself made durable (the folder's entry), as the file's bytes are."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Lent(io.RawIOBase):
    """An upload's stream lent to Pillow, which closes what it is given: the upload is still
    to be stored."""

    def __init__(self, stream: IO[bytes]):
        self.stream = stream

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self.stream.read(len(view))
        view[:len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.stream.seek(offset, whence)

    def tell(self) -> int:
        return self.stream.tell()


def _thumbnail(stream: IO[bytes], shown: str) -> bytes | None:
    """A small JPEG of a photo, or None if the image cannot be read; EvidenceError for one
    of more pixels than `limits.IMAGE_PIXELS`, found from its header before it is decoded.

    A JPEG is decoded already scaled down (`draft`: 1/2 to 1/8 of its size); a PNG or HEIC
    whole, one at a time (`_DECODING`), and scaled down by whole factors (`reduce`) before
    anything else is done with it, so a photo costs at most its pixels once."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        from pillow_heif import register_heif_opener
        register_heif_opener()
    except ImportError:  # HEIC photos are still kept, shown without a thumbnail
        pass
    # Pillow's own guard as well (it refuses at twice this): an image whose header lies about
    # its size still cannot make it decode more.
    Image.MAX_IMAGE_PIXELS = limits.IMAGE_PIXELS
    def too_large(size: str = "") -> EvidenceError:
        return EvidenceError(f"“{shown}”的图像尺寸过大（超过{limits.IMAGE_PIXELS // 10_000:,}"
                             f"万像素）{size}，请缩小后再上传")

    stream.seek(0)
    try:
        with Image.open(io.BufferedReader(_Lent(stream))) as image:
            width, height = image.size
            if width * height > limits.IMAGE_PIXELS:
                raise too_large(f"：{width}×{height}像素")
            with _DECODING:
                image.draft("RGB", (THUMB, THUMB))
                # Orientation, before scaling loses it (a PNG decodes here to find it).
                turned = image.getexif().get(0x0112, 1)
                factor = min(image.size) // THUMB
                small = image.reduce(factor) if factor > 1 else image.copy()
                image.close()  # its pixels go now, before another photo's are decoded
            small.getexif()[0x0112] = turned
            small = ImageOps.exif_transpose(small).convert("RGB")
            small.thumbnail((THUMB, THUMB))
            out = io.BytesIO()
            small.save(out, "JPEG", quality=80)
    except Image.DecompressionBombError:  # Pillow's own guard, at open: twice the bound
        raise too_large() from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    return out.getvalue()
