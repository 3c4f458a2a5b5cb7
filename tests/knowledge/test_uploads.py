"""Malformed and hostile files each get their specific refusal, or are ingested correctly."""

from __future__ import annotations

import pytest

from chatai_app.services.knowledge.extraction import extract_blocks
from chatai_app.services.knowledge.uploads import UploadRejected, display_name, screen_upload
from tests.knowledge import files

LIMIT = 10 * 2**20
PDF = files.make_pdf([["Delivery takes two days.", "Returns within 14 days."], ["Second page text."]])
DOCX = files.make_docx("Handbook", ["Opening hours are 9 to 18."])


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("broken.pdf", PDF[: len(PDF) // 3], "damaged"),
        ("notes.txt", files.WINDOWS_EXE, "content_mismatch"),
        ("report.pdf", files.WINDOWS_EXE, "content_mismatch"),
        ("macro.docx", files.with_macros(DOCX), "macros"),
        ("script.pdf", files.with_javascript(PDF), "active_content"),
        ("locked.pdf", files.encrypted(PDF), "encrypted"),
        ("bomb.docx", files.zip_bomb(DOCX), "zip_bomb"),
        ("huge.txt", b"a" * (11 * 2**20), "too_large"),
        ("empty.txt", b"", "empty"),
        ("pic.png", b"\x89PNG\r\n\x1a\n", "unsupported_type"),
        ("fake.docx", b"PK\x03\x04" + b"\x00" * 100, "damaged"),
        ("words.docx", PDF, "content_mismatch"),
    ],
)
def test_hostile_or_broken_files_are_refused_with_their_reason(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(UploadRejected) as caught:
        screen_upload(name, data, max_bytes=LIMIT)
    assert caught.value.reason == reason
    assert name in caught.value.message


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("utf16.txt", "Привет, мир! Доставка за два дня.".encode("utf-16"), "Доставка за два дня"),
        ("legacy.txt", "Возврат товара в течение 14 дней.".encode("cp1251"), "Возврат товара"),
        ("bom.txt", "\ufeffHello with a BOM".encode(), "Hello with a BOM"),
        ("readme.md", b"# Title\n\nSome *markdown* text.", "Some *markdown* text."),
        ("page.pdf", PDF, "Delivery takes two days."),
        ("hand.docx", DOCX, "Opening hours are 9 to 18."),
    ],
)
def test_good_files_pass_and_extract(name: str, data: bytes, expected: str) -> None:
    screened = screen_upload(name, data, max_bytes=LIMIT)
    texts = [block.text for block in extract_blocks(screened.kind, data, name)]
    assert any(expected in text for text in texts), texts


def test_unknown_8bit_encoding_is_a_clear_error() -> None:
    latin1 = "naïve café, déjà vu".encode("latin-1") * 20  # neither UTF-8 nor Russian
    screened = screen_upload("odd.txt", latin1, max_bytes=LIMIT)
    with pytest.raises(UploadRejected) as caught:
        extract_blocks(screened.kind, latin1, "odd.txt")
    assert caught.value.reason == "encoding"


def test_pdf_without_text_is_refused_at_extraction() -> None:
    blank = files.make_pdf([[" "]])
    with pytest.raises(UploadRejected) as caught:
        extract_blocks("pdf", blank, "scan.pdf")
    assert caught.value.reason == "no_text"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("../../etc/passwd.txt", "passwd.txt"), ("C:\\Users\\x\\report.pdf", "report.pdf"), ("\x00\x1b.txt", "txt")],
)
def test_filenames_are_reduced_to_a_display_name(raw: str, shown: str) -> None:
    assert display_name(raw) == shown
