"""The offline answerer streams its answer in pieces at once: a typing effect is the client's, never the engine's
(issue 18: a 15 ms pause between 60 pieces made every offline answer ~0.9 s slower over the API and Telegram)."""

from __future__ import annotations

import asyncio

import pytest

from chatai_app.services.knowledge.retrieval import Hit
from chatai_app.services.llm import OFFLINE_STREAM_CHUNKS, OfflineExtractive, Prompt


async def test_offline_answer_streams_in_pieces_without_pausing(monkeypatch: pytest.MonkeyPatch) -> None:
    paused: list[float] = []
    original_sleep = asyncio.sleep

    async def spy(delay: float, *args: object, **kwargs: object) -> object:
        paused.append(delay)
        return await original_sleep(delay, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(asyncio, "sleep", spy)
    answer = " ".join(f"word{i}" for i in range(600))
    hit = Hit("qa", "1", "Tell me everything", 1.0, answer=answer)
    prompt = Prompt(system="", history=[], question="Tell me everything", hits=[hit])
    pieces: list[str] = []

    async def on_delta(text: str) -> None:
        pieces.append(text)

    completion = await OfflineExtractive().complete(
        prompt, model="offline", temperature=0.2, max_tokens=1000, on_delta=on_delta
    )
    assert "".join(pieces) == completion.text == answer and completion.answered
    assert 1 < len(pieces) <= OFFLINE_STREAM_CHUNKS  # long answers come in bigger pieces, not more of them
    assert paused == []  # nothing waits between the pieces
