"""The offline embedder: questions asked together share model calls, all on the model's one thread."""

from __future__ import annotations

import asyncio
import threading

import numpy as np

from chatai_app.services.knowledge.embeddings import OfflineE5Provider


async def test_concurrent_questions_are_embedded_together_on_the_model_thread() -> None:
    provider = OfflineE5Provider()
    calls: list[tuple[str, int]] = []
    embed = provider._queries

    def recorded(texts: list[str]) -> list[list[float]]:
        calls.append((threading.current_thread().name, len(texts)))
        return embed(texts)

    provider._queries = recorded  # type: ignore[method-assign]  # counts the model calls, the model still runs
    questions = [f"How long does delivery to region {n} take?" for n in range(12)]
    together = await asyncio.gather(*(provider.embed_query(q) for q in questions))
    assert len(calls) < len(questions)  # the first goes alone, the rest wait for it and go in one call
    assert sum(size for _, size in calls) == len(questions)
    one_by_one = [(await provider.embed_queries([q]))[0] for q in questions]
    assert np.allclose(np.array(together), np.array(one_by_one), atol=1e-5)
    assert {name.split("_")[0] for name, _ in calls} == {"e5"}
    assert (await provider.embed_query(questions[0])) == together[0]  # from the cache, no model call
    assert sum(size for _, size in calls) == 2 * len(questions)
