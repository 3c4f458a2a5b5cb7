"""The offline embedder: questions asked together share model calls, all on the model's one thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import numpy as np

from chatai_app.services.knowledge.embeddings import OfflineE5Provider


async def test_concurrent_questions_are_embedded_together_on_the_model_thread() -> None:
    provider = OfflineE5Provider()
    calls: list[tuple[str, int]] = []

    def recorded(embed: Callable[[list[str]], list[list[float]]]) -> Callable[[list[str]], list[list[float]]]:
        def call(texts: list[str]) -> list[list[float]]:
            calls.append((threading.current_thread().name, len(texts)))
            return embed(texts)

        return call

    # counts the model calls (questions of conversations, and the direct ones), the model still runs
    provider._asked_questions = recorded(provider._asked_questions)  # type: ignore[method-assign]
    provider._queries = recorded(provider._queries)  # type: ignore[method-assign]
    questions = [f"How long does delivery to region {n} take?" for n in range(12)]
    together = await asyncio.gather(*(provider.embed_query(q) for q in questions))
    assert len(calls) < len(questions)  # the first goes alone, the rest wait for it and go in one call
    assert sum(size for _, size in calls) == len(questions)
    one_by_one = [(await provider.embed_queries([q]))[0] for q in questions]
    assert np.allclose(np.array(together), np.array(one_by_one), atol=1e-5)
    assert {name.split("_")[0] for name, _ in calls} == {"e5"}
    assert (await provider.embed_query(questions[0])) == together[0]  # from the cache, no model call
    assert sum(size for _, size in calls) == 2 * len(questions)


async def test_a_batch_of_questions_leaves_a_core_to_the_server_and_a_lone_question_takes_all() -> None:
    """A batch means a busy server whose event loop needs a core; a lone question gets every core."""
    provider = OfflineE5Provider()
    every_core = provider._threads._all
    if every_core < 2:
        return  # one core (OMP_NUM_THREADS=1 or the machine): nothing to choose
    lib = provider._model._lib

    async def team_size() -> int:  # the OpenMP setting of the model's thread, read on that thread
        return await asyncio.get_running_loop().run_in_executor(provider._thread, lib.omp_get_max_threads)

    await provider.embed_query("Where is my parcel?")
    assert await team_size() == every_core
    await asyncio.gather(*(provider.embed_query(f"Can I return item {n}?") for n in range(6)))
    assert await team_size() == every_core - 1
    await provider.embed_passages(["Returns are accepted within 30 days."])  # ingestion: every core again
    assert await team_size() == every_core
    await asyncio.gather(*(provider.embed_query(f"Do you ship to city {n}?") for n in range(6)))
    await provider.embed_query("What are your opening hours?")
    assert await team_size() == every_core
