"""Answer providers: any OpenAI-compatible chat endpoint (streamed) and an offline extractive default."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from chatai_app.services.errors import DomainError
from chatai_app.services.knowledge.retrieval import Hit
from chatai_app.settings import get_settings

OnDelta = Callable[[str], Awaitable[None]]
OFFLINE_STREAM_CHUNKS = 60  # pieces of an offline answer, sent as fast as they are made (no fake typing)


class LLMUnavailable(DomainError):
    """The provider failed (network, 5xx, timeout, broken stream); worth retrying."""

    code = "llm_unavailable"


@dataclass(frozen=True)
class Prompt:
    system: str
    history: list[tuple[str, str]]
    question: str
    hits: list[Hit] = field(default_factory=list)
    language: str = "en"

    def messages(self) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": self.system},
            *({"role": role, "content": content} for role, content in self.history),
            {"role": "user", "content": self.question},
        ]


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    model: str
    answered: bool = True  # False when the provider could not answer from what it had


class LLMProvider(Protocol):
    async def complete(
        self, prompt: Prompt, *, model: str, temperature: float, max_tokens: int, on_delta: OnDelta
    ) -> Completion: ...


def estimate_tokens(text: str) -> int:
    """About four characters per token (no tokenizer download is possible offline)."""
    return max(1, len(text) // 4)


class OpenAICompatibleChat:
    def __init__(self, *, api_key: str | None, base_url: str | None, timeout_s: float = 60) -> None:
        import httpx
        from openai import AsyncOpenAI

        self._client = AsyncOpenAI(
            api_key=api_key or "not-needed",
            base_url=base_url,
            max_retries=0,  # the engine retries with backoff and falls back
            timeout=httpx.Timeout(timeout_s, connect=5.0),
        )

    async def complete(
        self, prompt: Prompt, *, model: str, temperature: float, max_tokens: int, on_delta: OnDelta
    ) -> Completion:
        import httpx
        import openai

        parts: list[str] = []
        usage, finished = None, False
        try:
            stream = await self._client.chat.completions.create(
                model=model,
                messages=prompt.messages(),
                temperature=temperature,
                max_tokens=max_tokens,
                stream=True,
                stream_options={"include_usage": True},
            )  # type: ignore[call-overload]
            async for chunk in stream:
                usage = chunk.usage or usage
                for choice in chunk.choices:
                    finished = finished or choice.finish_reason is not None
                    if delta := choice.delta.content:
                        parts.append(delta)
                        await on_delta(delta)
        except (openai.APIError, openai.APIConnectionError, openai.APITimeoutError) as exc:
            raise LLMUnavailable(f"{type(exc).__name__}: {exc}") from exc
        except httpx.HTTPError as exc:  # the connection broke while streaming
            raise LLMUnavailable(f"stream broken: {type(exc).__name__}") from exc
        if not finished:  # a server that dies mid-stream can end the body without an error
            raise LLMUnavailable("the answer stream ended before the model finished")
        text = "".join(parts)
        prompt_tokens = usage.prompt_tokens if usage else estimate_tokens(str(prompt.messages()))
        completion_tokens = usage.completion_tokens if usage else estimate_tokens(text)
        return Completion(text, prompt_tokens, completion_tokens, model)


NO_ANSWER = {
    "en": "I could not find this in my knowledge base. Would you like to talk to a person?",
    "ru": "Я не нашёл ответа в базе знаний. Хотите, я позову оператора?",
}
SOURCE_LABEL = {"en": "Source", "ru": "Источник"}
WORD = re.compile(r"\w+", re.UNICODE)


class OfflineExtractive:
    """No key, no network: the best Q&A answer, or the most relevant sentences quoted with their source.

    The answer is ready at once, so it is streamed in pieces without any pause: a typing effect, if wanted,
    is the client's to draw (the API, Telegram and benchmarks never wait for one)."""

    async def complete(
        self, prompt: Prompt, *, model: str, temperature: float, max_tokens: int, on_delta: OnDelta
    ) -> Completion:
        text, answered = self._answer(prompt)
        words = re.findall(r"\S+\s*", text)
        step = max(1, len(words) // OFFLINE_STREAM_CHUNKS)  # long answers stream in bigger pieces, not longer
        for start in range(0, len(words), step):
            await on_delta("".join(words[start : start + step]))
        return Completion(
            text, estimate_tokens(str(prompt.messages())), estimate_tokens(text), "offline-extractive", answered
        )

    def _answer(self, prompt: Prompt) -> tuple[str, bool]:
        if not prompt.hits:
            return NO_ANSWER[prompt.language], False
        best = prompt.hits[0]
        if best.kind == "qa":
            return best.answer or "", True
        quote = _best_sentences(best.text, prompt.question)
        where = best.document_name or ""
        if best.page:
            where += f", p. {best.page}"
        return f"{quote}\n\n{SOURCE_LABEL[prompt.language]}: {where} [1]", True


def _best_sentences(text: str, question: str, limit: int = 3) -> str:
    sentences = [s.strip() for s in re.split(r"(?<=[.!?…])\s+", text) if s.strip()]
    asked = {w.lower()[:5] for w in WORD.findall(question) if len(w) > 2}
    scored = sorted(
        range(len(sentences)),
        key=lambda i: -len(asked & {w.lower()[:5] for w in WORD.findall(sentences[i])}),
    )
    chosen = sorted(scored[:limit])
    return " ".join(sentences[i] for i in chosen)


@lru_cache(maxsize=32)
def _openai_chat(api_key: str | None, base_url: str | None) -> OpenAICompatibleChat:
    """One client (and connection pool) per endpoint and key, reused across messages."""
    return OpenAICompatibleChat(api_key=api_key, base_url=base_url)


def provider_for(provider: str, *, api_key: str | None = None, base_url: str | None = None) -> LLMProvider:
    """The offline extractive answerer, or an OpenAI-compatible client for the given endpoint."""
    if provider == "offline":
        return OfflineExtractive()
    settings = get_settings()
    return _openai_chat(api_key or settings.openai_api_key, base_url or settings.openai_base_url)
