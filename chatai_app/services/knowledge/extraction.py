"""Text out of PDF, DOCX and plain text, keeping headings, table rows with their header, and pages."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from chatai_app.services.knowledge.uploads import UploadRejected

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Block:
    """One structural unit of a document."""

    text: str
    kind: str = "paragraph"  # heading | paragraph | table_row
    page: int | None = None
    level: int = 0  # heading level (1 = title)


def extract_blocks(kind: str, data: bytes, name: str) -> list[Block]:
    raw = {"pdf": _pdf_blocks, "docx": _docx_blocks, "text": _text_blocks}[kind](data, name)
    blocks = [Block(_clean(b.text), b.kind, b.page, b.level) for b in raw if _clean(b.text)]
    if not blocks:
        raise UploadRejected("no_text", f"{name}: no text could be extracted (a scanned PDF needs OCR first)")
    return blocks


def _clean(text: str) -> str:
    return text.replace("\ufeff", "").replace("\x00", "").strip()


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1251 when it reads as Russian."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    for encoding in ("cp1251", "koi8_r"):
        text = data.decode(encoding, errors="replace")
        letters = LETTER.findall(text)
        if letters and len(CYRILLIC.findall(text)) / len(letters) > 0.5 and "\ufffd" not in text:
            return text
    raise UploadRejected("encoding", f"{name}: the text encoding is not recognised; save it as UTF-8")


MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def _text_blocks(data: bytes, name: str) -> list[Block]:
    text = decode_text(data, name).replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[Block] = []
    for paragraph in re.split(r"\n\s*\n", text):
        stripped = paragraph.strip()
        if not stripped:
            continue
        if heading := MARKDOWN_HEADING.match(stripped.split("\n", 1)[0]):
            blocks.append(Block(heading.group(2).strip(), "heading", level=len(heading.group(1))))
            rest = stripped.split("\n", 1)[1].strip() if "\n" in stripped else ""
            if rest:
                blocks.append(Block(_join_lines(rest)))
        else:
            blocks.append(Block(_join_lines(stripped)))
    return blocks


def _join_lines(text: str) -> str:
    return re.sub(r"[ \t]*\n[ \t]*", "\n", text).strip()


def _docx_blocks(data: bytes, name: str) -> list[Block]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types on broken XML
        raise UploadRejected("damaged", f"{name}: the DOCX could not be read ({type(exc).__name__})") from exc
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            blocks.extend(_docx_paragraph(item))
        elif isinstance(item, Table):
            blocks.extend(_table_rows([[cell.text.strip() for cell in row.cells] for row in item.rows]))
    return blocks


def _docx_paragraph(paragraph: object) -> list[Block]:
    text = paragraph.text.strip()  # type: ignore[attr-defined]
    if not text:
        return []
    style = (paragraph.style.name or "").lower() if paragraph.style is not None else ""  # type: ignore[attr-defined]
    if style == "title" or style.startswith("heading"):
        level = int(style.rsplit(" ", 1)[-1]) if style[-1:].isdigit() else 1
        return [Block(text, "heading", level=level)]
    return [Block(text)]


def _table_rows(rows: list[list[str]]) -> list[Block]:
    """Each row becomes 'Header: value; ...' so it carries its header into any chunk."""
    rows = [_dedupe_merged(row) for row in rows if any(row)]
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    if not body:
        return [Block(" | ".join(header), "table_row")]
    return [
        Block("; ".join(f"{h}: {v}" if h else v for h, v in zip(header, row, strict=False) if v), "table_row")
        for row in body
    ]


def _dedupe_merged(row: list[str]) -> list[str]:
    """Merged cells repeat their text in python-docx; keep the first."""
    return [cell if i == 0 or cell != row[i - 1] else "" for i, cell in enumerate(row)]


def _pdf_blocks(data: bytes, name: str) -> list[Block]:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        pages = [(number, page.extract_text() or "") for number, page in enumerate(reader.pages, start=1)]
    except Exception as exc:  # pypdf raises many types on broken files
        raise UploadRejected("damaged", f"{name}: the PDF is damaged or truncated ({type(exc).__name__})") from exc
    blocks: list[Block] = []
    for number, text in pages:
        for paragraph in _pdf_paragraphs(text):
            blocks.append(Block(paragraph, page=number))
    return blocks


def _pdf_paragraphs(text: str) -> list[str]:
    """PDF text has line breaks inside paragraphs; blank lines or short lines ending a sentence split them."""
    paragraphs, current = [], []
    for line in text.replace("\r", "").split("\n"):
        stripped = line.strip()
        if not stripped:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(stripped)
    if current:
        paragraphs.append(" ".join(current))
    return [re.sub(r"(\w)- (\w)", r"\1\2", p) for p in paragraphs]


def fts_config_for(text: str) -> str:
    """PostgreSQL text search configuration by script: russian for Cyrillic text, else english."""
    letters = LETTER.findall(text[:4000])
    if letters and len(CYRILLIC.findall(text[:4000])) / len(letters) > 0.3:
        return "russian"
    return "english"
