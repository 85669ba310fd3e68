"""Evidence files: what a file is (by its content), and where its bytes are kept.

`inspect_file` decides a file's kind from its bytes alone — magic numbers (the `filetype`
package), a .docx/.xlsx opened as a zip and its main part found, a picture's size read
from its header before any pixel is decoded — never from its name or the content type a
client claims: a program renamed .jpg, an HTML page or a zip that is not a Word file are
refused before anything is stored or recorded.

`EvidenceStore` keeps the bytes content-addressed by SHA-256 at `<dir>/<sha[:2]>/<sha>`:
written to a temporary file in the same directory and renamed into place, so a reader
never sees half a file and the same bytes stored twice are one file. The event that
attaches a file records its hash (`planlog.domain.evidence`), so the audit chain
covers the content; `planlog.audit.evidence` checks the files still match.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import threading
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import filetype
from PIL import Image, ImageOps

from planlog.domain.errors import NotFound
from planlog.domain.evidence import (
    CONTENT_TYPES,
    DOCX,
    EVIDENCE_MAX_BYTES,
    EVIDENCE_MAX_PIXELS,
    IMAGE_TYPES,
    XLSX,
    EvidenceFile,
    checked_sha256,
    empty_file,
    too_large,
    unsupported_type,
)
from planlog.domain.values import InvalidValue
from planlog.service.store import StoreSettings

#: The environment variable naming the evidence directory (also Settings.evidence_dir).
EVIDENCE_DIR_ENV = "PLANLOG_EVIDENCE_DIR"
#: Longest side of a thumbnail, in pixels.
THUMBNAIL_SIDE = 320
#: Thumbnails made at once in a process. Decoding a picture of up to EVIDENCE_MAX_PIXELS
#: (60 MP: ~240 MB as RGBA) is the costliest thing a request can ask for; a page of new
#: photos asks for many at once. The others wait for their turn (a thumbnail is made
#: once, then read from its cache file without waiting).
THUMBNAILS_AT_ONCE = 2
_thumbnailing = threading.BoundedSemaphore(THUMBNAILS_AT_ONCE)
_CHUNK = 1024 * 1024
_FILE_NAME = re.compile(r"^[0-9a-f]{64}$")
#: A .docx/.xlsx is a zip whose [Content_Types].xml names its main part's type.
_OOXML_MAIN = {
    DOCX: ("word/", "wordprocessingml.document.main+xml"),
    XLSX: ("xl/", "spreadsheetml.sheet.main+xml"),
}
_ZIP_MEMBERS_MAX = 10_000
_CONTENT_TYPES_XML_MAX = 1024 * 1024


def evidence_dir(store: StoreSettings, configured: str | os.PathLike[str] | None = None) -> Path:
    """Where evidence files live: the configured directory ($PLANLOG_EVIDENCE_DIR), else
    `<db stem>-evidence/` beside a SQLite store, else ./planlog-evidence."""
    chosen = configured or os.environ.get(EVIDENCE_DIR_ENV)
    if chosen:
        return Path(chosen)
    if store.kind == "sqlite" and store.sqlite_path is not None:
        path = Path(store.sqlite_path)
        return path.with_name(f"{path.stem}-evidence")
    return Path("planlog-evidence")


# ------------------------------------------------------------------ what a file is


def inspect_file(data: bytes, name: str | None) -> EvidenceFile:
    """The reference to record for `data`, or a bilingual InvalidValue: empty, too large,
    not a kind planlog keeps, or a picture too large to open."""
    if not data:
        raise empty_file()
    if len(data) > EVIDENCE_MAX_BYTES:
        raise too_large(len(data))
    content_type = _content_type(data)
    if content_type in IMAGE_TYPES:
        _check_picture(data)
    return EvidenceFile(
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        content_type=content_type,
        name=name or "",
    )


def _content_type(data: bytes) -> str:
    kind = filetype.guess(data)
    found = kind.mime if kind is not None else "unknown"
    if found in CONTENT_TYPES and found not in _OOXML_MAIN:
        return str(found)
    if data.startswith(b"PK\x03\x04"):  # filetype's guess for a zip is a guess from names
        return _office_type(data)
    raise unsupported_type(found)


def _office_type(data: bytes) -> str:
    """DOCX or XLSX when the zip is one (its main part declared and present)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > _ZIP_MEMBERS_MAX:
                raise unsupported_type("zip")
            names = {m.filename for m in members}
            declared = archive.getinfo("[Content_Types].xml")
            if declared.file_size > _CONTENT_TYPES_XML_MAX:
                raise unsupported_type("zip")
            types = archive.read(declared).decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError):
        raise unsupported_type("zip") from None
    for content_type, (folder, main) in _OOXML_MAIN.items():
        parts = re.findall(r'PartName="/([^"]+)"[^>]*ContentType="[^"]*' + re.escape(main), types)
        if any(p in names and p.startswith(folder) for p in parts):
            return content_type
    raise unsupported_type("zip")


def _check_picture(data: bytes) -> None:
    """Open only the header: a picture larger than EVIDENCE_MAX_PIXELS is refused before
    Pillow would decode it (a decompression bomb), as is one Pillow cannot read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as picture:
                width, height = picture.size
                if width * height > EVIDENCE_MAX_PIXELS:
                    raise picture_too_large(width * height)
                picture.verify()
    except InvalidValue:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
        # Pillow refuses before it tells the size; its message holds the pixel count.
        claimed = re.search(r"\((\d+) pixels\)", str(bomb))
        raise picture_too_large(int(claimed.group(1)) if claimed else 0) from None
    except Exception:  # Pillow raises many kinds for a broken picture
        raise InvalidValue(
            "file", "broken_picture", "图片已损坏，无法读取", "is a damaged picture"
        ) from None


def picture_too_large(pixels: int) -> InvalidValue:
    """A picture claiming more pixels than EVIDENCE_MAX_PIXELS (a decompression bomb)."""
    limit = EVIDENCE_MAX_PIXELS // 1_000_000
    size = f"{pixels / 1_000_000:,.0f}" if pixels else "过多"
    size_en = f"{pixels / 1_000_000:,.0f}" if pixels else "too many"
    return InvalidValue(
        "file",
        "picture_too_large",
        f"图片尺寸过大（{size} 百万像素），最多 {limit} 百万像素，疑为解压炸弹",
        f"is a picture too large to open ({size_en} megapixels, at most {limit}): "
        "a decompression bomb",
    )


# ------------------------------------------------------------------ where the bytes are


class EvidenceStore:
    """Evidence files under one directory, each named by its SHA-256."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    @classmethod
    def of(
        cls, store: StoreSettings, configured: str | os.PathLike[str] | None = None
    ) -> EvidenceStore:
        return cls(evidence_dir(store, configured))

    def path_of(self, sha: str) -> Path:
        sha = checked_sha256(sha)
        return self.root / sha[:2] / sha

    def put(self, data: bytes) -> str:
        """Keep `data`; its SHA-256. Storing the same bytes again keeps the one file."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path_of(sha)
        if target.is_file() and target.stat().st_size == len(data):
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o444)  # kept evidence is never written again
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return sha

    def has(self, sha: str) -> bool:
        return self.path_of(sha).is_file()

    def read(self, sha: str) -> bytes:
        path = self.path_of(sha)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise NotFound(
                f"没有哈希为 {sha} 的佐证文件（no evidence file {sha}）", id=sha
            ) from None

    def iter_files(self) -> Iterator[tuple[str, Path]]:
        """Every kept file as (the hash its name claims, its path); thumbnails and
        unfinished uploads are not files."""
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if folder.is_dir() and len(folder.name) == 2:
                for path in sorted(folder.iterdir()):
                    if _FILE_NAME.match(path.name) and path.name[:2] == folder.name:
                        yield path.name, path

    def thumbnail(self, sha: str) -> bytes:
        """A JPEG at most THUMBNAIL_SIDE wide and high of a kept picture, made once and
        cached beside it (`<sha>.thumb.jpg`); at most THUMBNAILS_AT_ONCE made at a time."""
        cached = self.path_of(sha).with_name(f"{checked_sha256(sha)}.thumb.jpg")
        if cached.is_file():
            return cached.read_bytes()
        with _thumbnailing:
            if cached.is_file():  # made while this request waited its turn
                return cached.read_bytes()
            thumb = _make_thumbnail(self.read(sha))
            handle, temporary = tempfile.mkstemp(dir=cached.parent, prefix=".thumb-")
            with os.fdopen(handle, "wb") as file:
                file.write(thumb)
            os.replace(temporary, cached)
        return thumb

    def discard(self, sha: str) -> None:
        """Forget a file (and its thumbnail) that no event records: an upload whose
        command was refused. The caller checks that nothing references it."""
        path = self.path_of(sha)
        path.with_name(f"{path.name}.thumb.jpg").unlink(missing_ok=True)
        path.unlink(missing_ok=True)


def _make_thumbnail(data: bytes) -> bytes:
    _check_picture(data)  # the same bound as at upload, should the file have changed
    with Image.open(io.BytesIO(data)) as picture:
        # JPEG: decode at 1/2..1/8 scale straight from the file (DCT scaling)
        picture.draft("RGB", (THUMBNAIL_SIDE * 2, THUMBNAIL_SIDE * 2))
        small = ImageOps.exif_transpose(picture) or picture
        # other formats: `reduce` by whole factors (cheap box averaging) before resampling
        small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), reducing_gap=2.0)
        if small.mode not in ("RGB", "L"):
            flat = Image.new("RGB", small.size, "white")
            flat.paste(small, mask=small.convert("RGBA").getchannel("A"))
            small = flat
        out = io.BytesIO()
        small.save(out, "JPEG", quality=80)
    return out.getvalue()


def file_digest(path: Path) -> str:
    """The SHA-256 of a file, read in chunks (a file may be up to EVIDENCE_MAX_BYTES)."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
