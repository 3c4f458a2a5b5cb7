"""Chunks follow structure: sections apart, table rows with their header, long text split with overlap."""

from __future__ import annotations

import itertools

from chatai_app.services.knowledge.chunking import chunk_blocks
from chatai_app.services.knowledge.extraction import Block, extract_blocks
from tests.knowledge import files


def test_headings_start_chunks_and_label_them() -> None:
    blocks = [
        Block("Shipping", "heading", level=1),
        Block("We ship daily."),
        Block("Europe", "heading", level=2),
        Block("Five days to Europe."),
        Block("Returns", "heading", level=1),
        Block("Thirty days."),
    ]
    chunks = chunk_blocks(blocks)
    assert [(c.heading, c.content) for c in chunks] == [
        ("Shipping", "We ship daily."),
        ("Shipping › Europe", "Five days to Europe."),
        ("Returns", "Thirty days."),
    ]
    assert chunks[1].embedding_text().startswith("Shipping › Europe\n")


def test_long_paragraph_splits_at_sentences_with_overlap() -> None:
    sentences = [f"Sentence number {i} talks about topic {i}." for i in range(80)]
    chunks = chunk_blocks([Block(" ".join(sentences))], max_chars=400, overlap_chars=100)
    assert len(chunks) > 5
    assert all(len(c.content) <= 400 for c in chunks)
    for first, second in itertools.pairwise(chunks):
        assert first.content.split(". ")[-1].rstrip(".") in second.content  # the tail is repeated
    assert all(any(s in c.content for c in chunks) for s in sentences)  # nothing is lost


def test_short_blocks_pack_until_the_limit() -> None:
    chunks = chunk_blocks([Block("x" * 300) for _ in range(10)], max_chars=1000)
    assert [len(c.content) for c in chunks] == [902, 902, 902, 300]


def test_docx_table_rows_carry_their_header() -> None:
    data = files.make_docx(
        "Prices",
        ["Our tariffs:"],
        table=[["Plan", "Price", "Messages"], ["Basic", "990 RUB", "1000"], ["Pro", "2990 RUB", "5000"]],
    )
    blocks = extract_blocks("docx", data, "prices.docx")
    rows = [b.text for b in blocks if b.kind == "table_row"]
    assert rows == ["Plan: Basic; Price: 990 RUB; Messages: 1000", "Plan: Pro; Price: 2990 RUB; Messages: 5000"]
    chunks = chunk_blocks(blocks)
    assert chunks[0].heading == "Prices" and "Price: 2990 RUB" in chunks[0].content


def test_pdf_keeps_page_numbers() -> None:
    data = files.make_pdf([["Page one talks about delivery."], ["Page two talks about returns."]])
    chunks = chunk_blocks(extract_blocks("pdf", data, "two.pdf"), max_chars=40)
    assert [(c.page, c.content) for c in chunks] == [
        (1, "Page one talks about delivery."),
        (2, "Page two talks about returns."),
    ]
