"""Structure-aware chunking: sections stay apart, short blocks pack together, long ones split by sentence."""

from __future__ import annotations

import re
from dataclasses import dataclass

from chatai_app.services.knowledge.extraction import Block

DEFAULT_MAX_CHARS = 1000
DEFAULT_OVERLAP_CHARS = 150
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"«(\[]?[A-ZА-ЯЁ0-9])")


@dataclass(frozen=True)
class Chunk:
    content: str
    heading: str
    page: int | None

    def embedding_text(self) -> str:
        return f"{self.heading}\n{self.content}" if self.heading else self.content


@dataclass
class _Pending:
    parts: list[str]
    page: int | None
    size: int = 0


def chunk_blocks(
    blocks: list[Block], *, max_chars: int = DEFAULT_MAX_CHARS, overlap_chars: int = DEFAULT_OVERLAP_CHARS
) -> list[Chunk]:
    chunks: list[Chunk] = []
    headings: list[tuple[int, str]] = []
    pending = _Pending(parts=[], page=None)

    def flush() -> None:
        nonlocal pending
        if pending.parts:
            chunks.append(Chunk("\n".join(pending.parts), _heading_path(headings), pending.page))
        pending = _Pending(parts=[], page=None)

    for block in blocks:
        if block.kind == "heading":
            flush()
            headings = [(level, text) for level, text in headings if level < block.level] + [(block.level, block.text)]
            continue
        for piece in _fit(block.text, max_chars, overlap_chars):
            if pending.size + len(piece) + 1 > max_chars:
                flush()
            if not pending.parts:
                pending.page = block.page
            pending.parts.append(piece)
            pending.size += len(piece) + 1
    flush()
    return chunks


def _heading_path(headings: list[tuple[int, str]]) -> str:
    return " › ".join(text for _, text in headings)


def _fit(text: str, max_chars: int, overlap_chars: int) -> list[str]:
    """Text of at most max_chars per piece, split at sentences, each piece repeating the previous tail."""
    if len(text) <= max_chars:
        return [text]
    pieces: list[str] = []
    current: list[str] = []
    for sentence in _sentences(text, max_chars):
        if current and len(" ".join([*current, sentence])) > max_chars:
            pieces.append(" ".join(current))
            current = _tail(current, overlap_chars)
        current.append(sentence)
    if current:
        pieces.append(" ".join(current))
    return pieces


def _sentences(text: str, max_chars: int) -> list[str]:
    sentences = []
    for sentence in SENTENCE_END.split(text):
        while len(sentence) > max_chars // 2:  # a run-on "sentence": cut at a space
            cut = sentence.rfind(" ", 0, max_chars // 2)
            cut = cut if cut > 0 else max_chars // 2
            sentences.append(sentence[:cut])
            sentence = sentence[cut:].lstrip()
        if sentence:
            sentences.append(sentence)
    return sentences


def _tail(sentences: list[str], overlap_chars: int) -> list[str]:
    """The last sentences totalling at most overlap_chars (the overlap carried into the next piece)."""
    tail: list[str] = []
    for sentence in reversed(sentences):
        if sum(len(s) + 1 for s in tail) + len(sentence) > overlap_chars:
            break
        tail.insert(0, sentence)
    return tail
