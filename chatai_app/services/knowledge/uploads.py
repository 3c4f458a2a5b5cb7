"""Upload screening: extension AND content must agree; hostile or broken files are refused with a reason."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

import magic

from chatai_app.services.errors import DomainError

KINDS_BY_EXTENSION = {".pdf": "pdf", ".docx": "docx", ".txt": "text", ".md": "text"}
MIME_BY_KIND = {
    "pdf": {"application/pdf"},
    "docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/zip"},
    "text": {"text/plain", "text/markdown", "text/x-markdown", "application/csv", "text/csv", "text/x-c"},
}
ZIP_UNCOMPRESSED_CAP = 100 * 2**20
ZIP_RATIO_CAP = 200
PDF_ACTIVE_CONTENT = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b")


class UploadRejected(DomainError):
    """A file we will not store; `reason` is a stable code, `message` says why in words."""

    code = "upload_rejected"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ScreenedUpload:
    display_name: str
    kind: str
    mime_type: str


def display_name(filename: str) -> str:
    """The last path component, stripped of control characters; never used as a path."""
    base = PureWindowsPath(PurePosixPath(filename or "").name).name
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip().strip(".")
    return cleaned[:200] or "document"


def screen_upload(filename: str, data: bytes, *, max_bytes: int) -> ScreenedUpload:
    name = display_name(filename)
    extension = PurePosixPath(name.lower()).suffix
    kind = KINDS_BY_EXTENSION.get(extension)
    if kind is None:
        allowed = ", ".join(sorted(KINDS_BY_EXTENSION))
        raise UploadRejected("unsupported_type", f"{name}: only {allowed} files are accepted")
    if not data:
        raise UploadRejected("empty", f"{name}: the file is empty")
    if len(data) > max_bytes:
        raise UploadRejected(
            "too_large", f"{name}: {len(data) / 2**20:.1f} MB is over the {max_bytes / 2**20:.0f} MB limit"
        )
    mime = _sniff(data)
    if mime not in MIME_BY_KIND[kind] and not (kind == "text" and _looks_like_text(data)):
        raise UploadRejected("content_mismatch", f"{name}: the content is {mime}, not a {extension} file")
    {"pdf": _screen_pdf, "docx": _screen_docx, "text": _screen_text}[kind](name, data)
    # Text is stored (and ever served) as text/plain, whatever a sniffer makes of it (HTML, SVG, XML...).
    return ScreenedUpload(display_name=name, kind=kind, mime_type="text/plain" if kind == "text" else mime)


def _sniff(data: bytes) -> str:
    return magic.from_buffer(data[:65536], mime=True)


def _looks_like_text(data: bytes) -> bool:
    """UTF-16 and legacy 8-bit texts can sniff as application/octet-stream."""
    return data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" not in data[:4096]


def _screen_text(name: str, data: bytes) -> None:
    if data[:2] == b"MZ" or data[:4] == b"\x7fELF":
        raise UploadRejected("content_mismatch", f"{name}: this is a program, not a text file")


def _screen_pdf(name: str, data: bytes) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.lstrip()[:5] == b"%PDF-":
        raise UploadRejected("damaged", f"{name}: this is not a valid PDF")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise UploadRejected("encrypted", f"{name}: the PDF is encrypted; upload an unprotected copy")
        _reject_active_pdf(name, data, reader)
        if len(reader.pages) == 0:
            raise UploadRejected("damaged", f"{name}: the PDF has no pages")
    except UploadRejected:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise UploadRejected("damaged", f"{name}: the PDF is damaged or truncated ({type(exc).__name__})") from exc


def _reject_active_pdf(name: str, data: bytes, reader: object) -> None:
    root = reader.trailer["/Root"]  # type: ignore[attr-defined]
    names = root.get("/Names") or {}
    checks = (
        PDF_ACTIVE_CONTENT.search(data) is not None,  # also catches objects outside the catalog
        "/OpenAction" in root and _action_is_active(root["/OpenAction"]),
        "/AA" in root,
        "/JavaScript" in names or "/EmbeddedFiles" in names,
    )
    if any(checks):
        raise UploadRejected("active_content", f"{name}: the PDF contains JavaScript, launch actions or attachments")


def _action_is_active(action: object) -> bool:
    try:
        resolved = action.get_object()  # type: ignore[attr-defined]
    except AttributeError:
        return False
    return isinstance(resolved, dict) and resolved.get("/S") in ("/JavaScript", "/Launch", "/ImportData")


def _screen_docx(name: str, data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadRejected("damaged", f"{name}: the DOCX is damaged or truncated") from exc
    # Declared sizes bound what zipfile will ever inflate, so checking them first is enough.
    uncompressed = sum(member.file_size for member in members)
    if uncompressed > ZIP_UNCOMPRESSED_CAP or uncompressed > ZIP_RATIO_CAP * max(len(data), 1):
        raise UploadRejected(
            "zip_bomb", f"{name}: the document expands to {uncompressed / 2**20:.0f} MB, which looks like a zip bomb"
        )
    names = {member.filename.lower() for member in members}
    if "word/document.xml" not in names:
        raise UploadRejected("content_mismatch", f"{name}: this archive is not a Word document")
    if any(n.endswith("vbaproject.bin") or "vbadata" in n for n in names) or _is_macro_enabled(archive):
        raise UploadRejected("macros", f"{name}: the document contains macros; save it as a plain .docx")


def _is_macro_enabled(archive: zipfile.ZipFile) -> bool:
    try:
        content_types = archive.read("[Content_Types].xml")
    except KeyError:
        return False
    return b"macroEnabled" in content_types
