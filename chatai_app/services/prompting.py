"""Prompt assembly: system prompt, persona, retrieved knowledge with ids, history within a token budget."""

from __future__ import annotations

from chatai_app.models import Assistant
from chatai_app.services.knowledge.extraction import CYRILLIC
from chatai_app.services.knowledge.retrieval import Hit
from chatai_app.services.llm import Prompt, estimate_tokens

HISTORY_TOKEN_BUDGET = 2000
CONTEXT_CHARS_PER_HIT = 1200
LANGUAGE_NAMES = {"ru": "Russian", "en": "English"}
VERDICT_INSTRUCTION = (
    'After the answer, add one last line, exactly: VERDICT: {"answered": true, "sources": [n, ...]} with the '
    'numbers of the knowledge items the answer used, or VERDICT: {"answered": false, "sources": []} when the '
    "knowledge does not contain the answer. The user never sees this line."
)


def question_language(text: str, assistant_language: str) -> str:
    if assistant_language in LANGUAGE_NAMES:
        return assistant_language
    return "ru" if CYRILLIC.search(text) else "en"


def _knowledge_block(hits: list[Hit]) -> str:
    lines = []
    for number, hit in enumerate(hits, start=1):
        if hit.kind == "qa":
            lines.append(f"[{number}] Q: {hit.text}\nA: {hit.answer}")
        else:
            where = hit.document_name or ""
            if hit.page:
                where += f", page {hit.page}"
            lines.append(f"[{number}] ({where}) {hit.text[:CONTEXT_CHARS_PER_HIT]}")
    return "\n\n".join(lines)


def _system(assistant: Assistant, hits: list[Hit], language: str) -> str:
    parts = [assistant.system_prompt.strip() or f"You are {assistant.name}, a helpful assistant of this business."]
    if assistant.tone:
        parts.append(f"Tone: {assistant.tone}.")
    parts.append(f"Answer in {LANGUAGE_NAMES.get(language, 'the language of the question')}.")
    if assistant.knowledge_enabled:
        parts.append(
            "Answer only from the numbered knowledge below, briefly (one to three sentences). If it does not "
            "contain the answer, say you do not know and offer to connect a human operator; never guess."
        )
        if assistant.citations_enabled:
            parts.append("Cite the sources you used as [n].")
        parts.append(VERDICT_INSTRUCTION)
        parts.append("Knowledge:\n" + (_knowledge_block(hits) or "(nothing relevant found)"))
    return "\n".join(parts)


def trim_history(history: list[tuple[str, str]], budget: int = HISTORY_TOKEN_BUDGET) -> list[tuple[str, str]]:
    """The most recent turns that fit the budget, oldest first."""
    kept: list[tuple[str, str]] = []
    used = 0
    for role, content in reversed(history):
        used += estimate_tokens(content)
        if used > budget:
            break
        kept.insert(0, (role, content))
    return kept


def build_prompt(assistant: Assistant, question: str, hits: list[Hit], history: list[tuple[str, str]]) -> Prompt:
    language = question_language(question, assistant.language)
    return Prompt(
        _system(assistant, hits, language), trim_history(history), question, hits, language,
        verdict=assistant.knowledge_enabled,
    )  # fmt: skip
