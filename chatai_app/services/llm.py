"""Answer providers: any OpenAI-compatible chat endpoint (streamed) and an offline extractive default.

With knowledge, the model is asked to end its reply with a machine-readable verdict line
(`VERDICT: {"answered": true, "sources": [1, 3]}`, see prompting.py): the line is never shown or streamed, and
the engine uses it for the fallback to a human, the knowledge-gap list and the sources it shows.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from chatai_app.services.errors import DomainError
from chatai_app.services.knowledge.retrieval import Hit
from chatai_app.settings import get_settings

OnDelta = Callable[[str], Awaitable[None]]
OFFLINE_STREAM_CHUNKS = 60  # pieces of an offline answer, sent as fast as they are made (no fake typing)


class LLMUnavailable(DomainError):
    """The provider failed (network, 5xx, timeout, broken stream); worth retrying. `status` is the HTTP status when the
    provider answered with one (401/403: the key; 429: rate-limited, `retry_after_s` from its Retry-After header)."""

    code = "llm_unavailable"

    def __init__(self, message: str, *, status: int | None = None, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.status, self.retry_after_s = status, retry_after_s


def _retry_after(headers: object) -> float | None:
    """Seconds from a Retry-After header (seconds form; an HTTP date is ignored)."""
    try:
        value = float(headers.get("retry-after", ""))  # type: ignore[attr-defined]
    except (AttributeError, TypeError, ValueError):
        return None
    return value if value >= 0 else None


@dataclass(frozen=True)
class Prompt:
    system: str
    history: list[tuple[str, str]]
    question: str
    hits: list[Hit] = field(default_factory=list)
    language: str = "en"
    verdict: bool = False  # the system prompt asks for a VERDICT line (knowledge on)

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
    cited: list[int] | None = None  # knowledge numbers the answer used (None: unknown, all may have been)


VERDICT_MARKER = "VERDICT:"
_VERDICT = re.compile(r"VERDICT:\s*(\{.*?\})", re.DOTALL)


class VerdictFilter:
    """Streams the reply while holding back the trailing verdict line (and any text that may be its start)."""

    def __init__(self) -> None:
        self._pending = ""
        self.tail: str | None = None

    def feed(self, text: str) -> str:
        if self.tail is not None:
            self.tail += text
            return ""
        self._pending += text
        at = self._pending.find(VERDICT_MARKER)
        if at >= 0:  # the whitespace before the verdict line is not part of the answer
            out, self.tail, self._pending = self._pending[:at].rstrip(), self._pending[at:], ""
            return out
        keep = next(
            (k for k in range(min(len(VERDICT_MARKER) - 1, len(self._pending)), 0, -1)
             if self._pending.endswith(VERDICT_MARKER[:k])),
            0,
        )  # fmt: skip
        out = self._pending[: len(self._pending) - keep]
        shown = out.rstrip()  # trailing whitespace waits: it may precede the verdict line
        self._pending = out[len(shown) :] + self._pending[len(self._pending) - keep :]
        return shown

    def finish(self) -> str:
        out, self._pending = self._pending, ""
        return out if self.tail is None else ""


def parse_verdict(tail: str | None, hits: int) -> tuple[bool, list[int]] | None:
    """(answered, cited numbers within 1..hits) from the verdict line; None when it is missing or unreadable."""
    if not tail or not (match := _VERDICT.search(tail)):
        return None
    try:
        data = json.loads(match.group(1))
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("answered"), bool):
        return None
    raw = data.get("sources") or []
    cited = sorted({int(n) for n in raw if isinstance(n, int | float) and 1 <= int(n) <= hits}) if isinstance(
        raw, list
    ) else []  # fmt: skip
    return data["answered"], cited if data["answered"] else []


class LLMProvider(Protocol):
    async def complete(
        self, prompt: Prompt, *, model: str, temperature: float, max_tokens: int, on_delta: OnDelta
    ) -> Completion: ...


def _usage(usage: object, field: str, estimate: Callable[[], int]) -> int:
    """A token count from the stream's usage object, else the estimate (a provider that sends no usage)."""
    value = usage.get(field) if isinstance(usage, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else estimate()


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

    async def _stream(self, prompt: Prompt, *, model: str, temperature: float, max_tokens: int) -> AsyncIterator[dict]:
        """The streamed chat completion's chunks as plain JSON objects, through the client's own request path (auth,
        timeouts, errors) without its typed request transform and per-chunk models: the body is already plain JSON,
        and those two cost ~8 ms of CPU a turn, more than the rest of the engine's Python (issue 16)."""
        from openai import AsyncStream

        body = {
            "model": model,
            "messages": prompt.messages(),
            "temperature": temperature,
            "max_tokens": max_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        return await self._client.post(
            "/chat/completions", body=body, cast_to=object, stream=True, stream_cls=AsyncStream[object]
        )

    async def complete(
        self, prompt: Prompt, *, model: str, temperature: float, max_tokens: int, on_delta: OnDelta
    ) -> Completion:
        import httpx
        import openai

        parts: list[str] = []
        usage, finished = None, False
        verdict = VerdictFilter() if prompt.verdict else None
        try:
            async for chunk in await self._stream(prompt, model=model, temperature=temperature, max_tokens=max_tokens):
                usage = chunk.get("usage") or usage
                for choice in chunk.get("choices") or ():
                    finished = finished or choice.get("finish_reason") is not None
                    if delta := (choice.get("delta") or {}).get("content"):
                        parts.append(delta)
                        shown = verdict.feed(delta) if verdict else delta
                        if shown:
                            await on_delta(shown)
        except openai.APIStatusError as exc:
            raise LLMUnavailable(
                f"{type(exc).__name__}: {exc}", status=exc.status_code, retry_after_s=_retry_after(exc.response.headers)
            ) from exc
        except (openai.APIError, openai.APIConnectionError, openai.APITimeoutError) as exc:
            raise LLMUnavailable(f"{type(exc).__name__}: {exc}") from exc
        except httpx.HTTPError as exc:  # the connection broke while streaming
            raise LLMUnavailable(f"stream broken: {type(exc).__name__}") from exc
        if not finished:  # a server that dies mid-stream can end the body without an error
            raise LLMUnavailable("the answer stream ended before the model finished")
        text = "".join(parts)
        prompt_tokens = _usage(usage, "prompt_tokens", lambda: estimate_tokens(str(prompt.messages())))
        completion_tokens = _usage(usage, "completion_tokens", lambda: estimate_tokens(text))
        if verdict is None:
            return Completion(text, prompt_tokens, completion_tokens, model)
        if rest := verdict.finish():
            await on_delta(rest)
        shown = text[: text.find(VERDICT_MARKER)] if verdict.tail is not None else text
        parsed = parse_verdict(verdict.tail, len(prompt.hits))
        if parsed is None:  # no verdict: the answer stands, every source may have been used
            return Completion(shown.rstrip(), prompt_tokens, completion_tokens, model)
        answered, cited = parsed
        return Completion(shown.rstrip(), prompt_tokens, completion_tokens, model, answered, cited)


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
        text, quoted = self._answer(prompt)
        words = re.findall(r"\S+\s*", text)
        step = max(1, len(words) // OFFLINE_STREAM_CHUNKS)  # long answers stream in bigger pieces, not longer
        for start in range(0, len(words), step):
            await on_delta("".join(words[start : start + step]))
        return Completion(
            text,
            estimate_tokens(str(prompt.messages())),
            estimate_tokens(text),
            "offline-extractive",
            quoted > 0,
            cited=[quoted] if quoted else [],  # the quote is from one hit only
        )

    def _answer(self, prompt: Prompt) -> tuple[str, int]:
        """The reply and the number of the hit it quotes (0: none, 'not found')."""
        if not prompt.hits:
            return NO_ANSWER[prompt.language], 0
        number = _quoted_hit(prompt.hits, prompt.question)
        best = prompt.hits[number - 1]
        if best.kind == "qa":
            return best.answer or "", number
        quote = best_sentences(best.text, prompt.question)
        where = best.document_name or ""
        if best.page:
            where += f", p. {best.page}"
        if best.url:
            where = f"{where} — {best.url}" if where and where != best.url else best.url
        return f"{quote}\n\n{SOURCE_LABEL[prompt.language]}: {where} [{number}]", number


def _quoted_hit(hits: list[Hit], question: str) -> int:
    """1, the best hit; 2 when both are passages and one sentence of the second holds more of the question's content
    words than any sentence of the first (the retriever ranks passages, not the sentence that answers). Measured
    through the chat API on XQuAD dev: answers containing the gold answer +0.8 points (ru), -0.2 (en, one question)."""
    if len(hits) < 2 or hits[0].kind != "chunk" or hits[1].kind != "chunk":
        return 1
    asked = _asked(question)
    return 2 if question_coverage(hits[1].text, asked) > question_coverage(hits[0].text, asked) else 1


SENTENCE = re.compile(r"(?<=[.!?…])\s+(?=[\"«(\[]?[A-ZА-ЯЁ0-9])|\n+")
# A piece ending in an initial or a short abbreviation ('Уильяма Э.', 'Dr.', 'в 1705 г.') goes on into the next one.
INITIAL_END = re.compile(r"(?:^|\s)([^\W\d_]|St|Dr|Mr|Mrs|Ms|Jr|Sr|vs|ca|гг?|им|св|ок|т\.е|т\.д|т\.п|ул|др)\.$")
QUOTE_BUDGET = 480  # characters of quoted sentences: the answering one and the runner-up (mean ~310 on XQuAD)
NEIGHBOUR_BUDGET = 460  # ... or a neighbour, taken for its place alone, so given a little less room
RUNNER_UP_SHARE = 0.6  # the second-best sentence is quoted instead of a neighbour when it scores this share of the best
TYPE_BONUS = 0.1  # share of the question's weight a sentence gains for holding what a 'when'/'how many' asks for
# Words that say nothing about where the answer is ('the', 'what', 'в', 'какой'): left out of the overlap.
_STOP_WORDS = """
    a an the and or but if of to in on at by for with from as is are was were be been being do does did done have
    has had this that these those it its he she they them his her their there here what which who whom whose when
    where why how not no than then so such can could would should will may might must shall also into about over
    under after before between during through up down out off again further once all any both each few more most
    other some own same very just now one you we our your my me us
    и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее её мне было вот от меня
    еще ещё нет о из ему теперь когда даже ну ли если уже или ни быть был была были него до вас нибудь опять уж вам
    ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем сам чтобы без будто чего раз
    тоже себе под будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем нее сейчас
    куда зачем всех никогда можно при наконец об другой хоть после над больше тот через эти нас про всего них какая
    много разве эту моя впрочем свою этой перед иногда лучше чуть том нельзя такой им более всегда конечно всю между
    каком какие каких какого какую каким какое сколько кого кому кем чей чья чьи является являлся являлась
    также"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
WHEN_QUESTION = re.compile(
    r"\b(when|what (year|decade|century|month|day|date)|in which year|когда|"
    r"в как(ом|ие|ой) (году|годы|веке|месяце|день)|какого (года|числа))\b", re.IGNORECASE)  # fmt: skip
COUNT_QUESTION = re.compile(
    r"\b(how (many|much|long|old|far|large|big|tall|high)|what (percentage|percent|number|age|amount)|сколько|"
    r"какой процент|как долго|на сколько|каков[а-я]* (число|количество|процент|размер|возраст|население))",
    re.IGNORECASE)  # fmt: skip
DATE = re.compile(
    r"\b(1[0-9]{3}|20[0-9]{2})\b|\b(january|february|march|april|may|june|july|august|september|october|november|"
    r"december|январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр)", re.IGNORECASE)  # fmt: skip
NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|"
    r"million|billion|один|одн|два|две|тр[еёио]|четыр|пят|шест|сем|восем|девят|десят|сорок|сто|двест|тысяч|миллион|"
    r"миллиард|половин|треть|четверт)", re.IGNORECASE)  # fmt: skip


def _stem(word: str) -> str:
    word = word.lower().replace("ё", "е")
    return word[:5] if len(word) > 5 else word


def _content(text: str) -> set[str]:
    return {_stem(w) for w in WORD.findall(text) if w.lower() not in STOP_WORDS}


def _asked(question: str) -> set[str]:
    """The question's content words (stems): no stop words, no one- or two-letter words but numbers."""
    return {_stem(w) for w in WORD.findall(question) if (len(w) > 2 or w.isdigit()) and w.lower() not in STOP_WORDS}


def question_coverage(text: str, asked: set[str]) -> float:
    """The largest share of the question's content words that one sentence of the passage holds."""
    if not asked:
        return 0.0
    return max((len(asked & _content(s)) / len(asked) for s in split_sentences(text)), default=0.0)


def split_sentences(text: str) -> list[str]:
    """The passage's sentences, headings left out; an initial or an abbreviation does not end a sentence."""
    sentences: list[str] = []
    for piece in SENTENCE.split(text):
        piece = piece.strip() if piece else ""
        if not piece or piece.startswith("#"):
            continue
        if sentences and INITIAL_END.search(sentences[-1]):
            sentences[-1] += " " + piece
        else:
            sentences.append(piece)
    return sentences


def best_sentences(
    text: str, question: str, budget: int = QUOTE_BUDGET, neighbour_budget: int = NEIGHBOUR_BUDGET
) -> str:
    """The sentences of the passage that answer: the one sharing the most of the question's content words (stop
    words left out, each word weighted by how few of the passage's sentences have it), a sentence with a date or a
    number counting a little more for a 'when' or 'how many' question; with it the runner-up when that scores at
    least RUNNER_UP_SHARE of the best, else the sentence after it (else before it), each when the two fit their
    budget: the answer is often in the sentence that follows the question's words. On the chunk that holds the
    answer (the ingestion chunker's, XQuAD dev; rules chosen on articles 0-11, checked on 12-23) the quote holds the
    gold answer for 95.3% (en) / 93.0% (ru), mean ~315 / ~322 characters; with a neighbour only (the stop before)
    92.7% / 90.6%. The runner-up is worth +2.1 / +1.9 points, not splitting at initials ('Уильяма Э. Саймона')
    +0.5 / +0.5; a Snowball stemmer instead of 5-letter prefixes cost 1.9 points (ru); weighting in the e5
    similarity of each sentence to the question did not help (ru: +0.9 points on articles 0-11, -0.7 on 12-23).
    No shared word at all (a question in another language): the passage's first sentences within the budget."""
    sentences = split_sentences(text)
    if not sentences:
        return text.strip()[:budget]
    stems = [_content(s) for s in sentences]
    asked = _asked(question)
    weight = {w: math.log(1 + len(sentences) / (1 + sum(w in s for s in stems))) for w in asked}
    total = sum(weight.values()) or 1.0
    scores = [sum(weight[w] for w in asked & s) / total for s in stems]
    wanted = DATE if WHEN_QUESTION.search(question) else NUMBER if COUNT_QUESTION.search(question) else None
    if wanted is not None:
        scores = [
            score + TYPE_BONUS if score > 0 and wanted.search(s) else score
            for score, s in zip(scores, sentences, strict=True)
        ]
    if max(scores) <= 0:
        chosen: list[int] = []
        for i, sentence in enumerate(sentences):
            if chosen and sum(len(sentences[j]) + 1 for j in chosen) + len(sentence) > budget:
                break
            chosen.append(i)
    else:
        ranked = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
        best = ranked[0]
        runner_up = [i for i in ranked[1:2] if scores[i] >= RUNNER_UP_SHARE * scores[best]]
        neighbour = min(budget, neighbour_budget)
        chosen = [best]
        for other, room in (*((i, budget) for i in runner_up), (best + 1, neighbour), (best - 1, neighbour)):
            if 0 <= other < len(sentences) and len(sentences[best]) + len(sentences[other]) + 1 <= room:
                chosen.append(other)
                break
    quote = " ".join(sentences[i] for i in sorted(chosen))
    return quote if len(quote) <= budget else quote[:budget].rsplit(" ", 1)[0] + " …"


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
