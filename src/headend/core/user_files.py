"""Files people hand us (task photos, CSVs of sites and of coverage) and the files we hand back
(attachments, quote PDFs): what each kind accepts, where it is kept, how it is served.

The browser's word on a file (its name, its Content-Type) decides nothing: the type comes from
the file's bytes, checked against what the kind allows, and HTML or SVG is never one of them.
Stored names are random; the person's name for the file is kept in a field, cleaned. Every file
goes out as a download with the type decided here, `nosniff` and a sandboxing policy, so a file
that is a page after all never runs as one of this site's pages (issue 11: an attachment named
`x.html`, declared `text/plain`, ran as the site in an admin's browser)."""

import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePosixPath
from typing import IO, Any
from urllib.parse import quote

import filetype
from django.conf import settings
from django.http import FileResponse
from django.utils.deconstruct import deconstructible

from headend.core import clock
from headend.core.errors import ValidationError

MB = 1024 * 1024
HEAD_BYTES = 8192  # what the type is decided from (filetype reads as much); text is read whole
CHUNK = 1024 * 1024
UNKNOWN = "application/octet-stream"


@dataclass(frozen=True)
class FileKind:
    """What one kind of file may be: content types (each with its extensions, the first the one
    a name gets when it has none of them) and the most bytes, `HEADEND_UPLOAD_MAX_BYTES[name]`."""

    name: str
    types: Mapping[str, tuple[str, ...]]
    described: str  # for the error: "attach {described}"
    default_max_bytes: int

    @property
    def max_bytes(self) -> int:
        return int(settings.HEADEND_UPLOAD_MAX_BYTES.get(self.name, self.default_max_bytes))


ATTACHMENT = FileKind(
    name="attachment",
    types={
        "image/jpeg": (".jpg", ".jpeg"),
        "image/png": (".png",),
        "image/gif": (".gif",),
        "image/webp": (".webp",),
        "application/pdf": (".pdf",),
        "text/plain": (".txt", ".log"),
        "text/csv": (".csv",),
    },
    described="a photo (JPEG, PNG, GIF, WebP), a PDF or a text file",
    default_max_bytes=10 * MB,
)
SITE_IMPORT = FileKind(
    name="site_import", types={"text/csv": (".csv", ".txt")}, described="a CSV file", default_max_bytes=20 * MB
)
COVERAGE_IMPORT = FileKind(
    name="coverage_import", types={"text/csv": (".csv", ".txt")}, described="a CSV file", default_max_bytes=25 * MB
)
# What the server makes (quote PDFs, their signed copies): served through here like the rest.
DOCUMENT = FileKind(name="document", types={"application/pdf": (".pdf",)}, described="a PDF", default_max_bytes=0)


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    name: str  # the person's name for the file, cleaned, its extension the type's
    size: int


# WHATWG MIME Sniffing's "binary data bytes": a text file has none of these in its first bytes.
BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
# A tag a browser would act on, anywhere in the text: such a file is a page, not a note or a CSV.
MARKUP = re.compile(
    rb"<(?:!doctype|!--|\?xml|html|head|body|script|style|svg|math|iframe|frame|frameset|object|embed|applet"
    rb"|meta|link|base|img|image|video|audio|form|template|xsl)(?=[\s/>]|$)",
    re.IGNORECASE,
)
MARKUP_OVERLAP = 16  # bytes carried between chunks so a tag split across two is still found


def _read_head(stream: IO[bytes]) -> bytes:
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    return head


def _is_text(stream: IO[bytes], head: bytes) -> bool:
    """Text, and no markup in it anywhere (read in chunks, the stream left at its start)."""
    if BINARY_BYTES.search(head):
        return False
    stream.seek(0)
    tail = b""
    try:
        while chunk := stream.read(CHUNK):
            if MARKUP.search(tail + chunk):
                return False
            tail = chunk[-MARKUP_OVERLAP:]
    finally:
        stream.seek(0)
    return True


def content_type_of(stream: IO[bytes], *, kind: FileKind, name: str = "") -> str | None:
    """The type among `kind`'s that the bytes are, or None. A text file is the kind's text type
    its name's extension names (a `.csv` is text/csv), else its first text type."""
    head = _read_head(stream)
    if not head:
        return None
    found = filetype.guess(head)
    if found is not None and found.mime in kind.types:
        return str(found.mime)
    text_types = [content_type for content_type in kind.types if content_type.startswith("text/")]
    if not text_types or not _is_text(stream, head):
        return None
    suffix = PurePosixPath(name).suffix.lower()
    return next((t for t in text_types if suffix in kind.types[t]), text_types[0])


def _base_name(name: str | None) -> str:
    """The last part of a path, without control, format or odd space characters."""
    base = unicodedata.normalize("NFC", re.split(r"[/\\]", name or "")[-1])
    base = "".join(ch for ch in base if ch == " " or not unicodedata.category(ch).startswith(("C", "Z")))
    return " ".join(base.split()).strip(" .")


def clean_name(name: str | None, *, content_type: str, kind: FileKind, default: str = "file") -> str:
    """A file name fit to show and to offer as the download's name: no folders, no control or
    format characters, at most 200 characters, ending in an extension of its type (`x.html` that
    is text becomes `x.html.txt`; an unknown type gets `.bin`)."""
    base = _base_name(name) or default
    extensions = kind.types.get(content_type, (".bin",))
    if PurePosixPath(base).suffix.lower() not in extensions:
        base += extensions[0]
    if len(base) > 200:
        stem, suffix = base[: -len(PurePosixPath(base).suffix)], PurePosixPath(base).suffix
        base = stem[: 200 - len(suffix)] + suffix
    return base


def _amount(size: int) -> str:
    """Bytes as people read them: `10 MB`, `2.5 MB`, `3 KB`, `700 bytes`."""
    if size < 1024:
        return f"{size} bytes"
    if size < MB // 10:
        return f"{-(-size // 1024):,} KB"
    return f"{size / MB:,.1f}".removesuffix(".0") + " MB"


def _size(upload: Any) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
        upload.seek(0)
    return int(size)


def check_upload(upload: Any, *, kind: FileKind, field: str) -> CheckedFile:
    """What an uploaded file is, decided from its bytes: its type (one `kind` allows), its
    cleaned name and its size. Renames the upload to that name, so it is stored with the
    right extension.

    Raises ValidationError (`field`; code `too_large`, `empty` or `file_type`)."""
    shown = _base_name(getattr(upload, "name", ""))[:100] or "The file"
    size = _size(upload)
    limit = kind.max_bytes
    if size > limit:
        raise ValidationError(
            f"{shown} is {_amount(size)}; the limit is {_amount(limit)}.", field=field, code="too_large"
        )
    if size == 0:
        raise ValidationError(f"{shown} is empty.", field=field, code="empty")
    content_type = content_type_of(upload, kind=kind, name=shown)
    if content_type is None:
        raise ValidationError(f"{shown}: attach {kind.described}.", field=field, code="file_type")
    name = clean_name(upload.name, content_type=content_type, kind=kind)
    upload.name = name
    return CheckedFile(content_type=content_type, name=name, size=size)


@deconstructible
class RandomName:
    """A FileField's `upload_to`: `<folder>/<yyyy>/<mm>/<32 random hex>.<ext>`, never the name
    the file came with (that is kept in the record, cleaned, for display and download)."""

    def __init__(self, folder: str):
        self.folder = folder

    def __call__(self, instance: Any, filename: str) -> str:
        suffix = PurePosixPath(filename).suffix.lower()
        if not re.fullmatch(r"\.[a-z0-9]{1,5}", suffix):
            suffix = ""
        return f"{self.folder}/{clock.now():%Y/%m}/{secrets.token_hex(16)}{suffix}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RandomName) and other.folder == self.folder

    def __hash__(self) -> int:
        return hash(self.folder)


def content_disposition(filename: str) -> str:
    """`attachment` with the name twice (RFC 6266): an ASCII stand-in, and the exact name
    UTF-8 encoded (RFC 8187) for clients that read `filename*`."""
    ascii_name = "".join(ch if " " <= ch <= "~" and ch not in '"\\;%' else "_" for ch in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download_response(file: IO[bytes] | bytes, *, filename: str, kind: FileKind) -> FileResponse:
    """A stored file as a download: the type its bytes are (one `kind` allows, else
    application/octet-stream), never shown in the browser, never sniffed, never run.
    Rows stored before these rules (under the name they came with) are served the same way."""
    stream: IO[bytes] = BytesIO(file) if isinstance(file, bytes) else file
    content_type = content_type_of(stream, kind=kind, name=filename) or UNKNOWN
    name = clean_name(filename, content_type=content_type, kind=kind)
    response = FileResponse(stream, content_type=content_type)
    response["Content-Disposition"] = content_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    # Opened anyway (a browser told to show downloads): no script, no plugin, no origin.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private"
    return response
