"""Answers a business can trust (issue 15): what the chat API replies, on the XQuAD dev half, with the offline answerer.

    python -m benchmarks.answer_quality [--languages en ru] [--limit N] [--strictness balanced] [--out FILE]

Per language, two assistants of one workspace (enterprise plan, so limits and balance never interfere), each
fed through the JSON API: A holds articles 0-11, B articles 12-23. Every question is asked over
`POST /api/v1/assistants/<id>/chat` in its own conversation (no fallback handoff in the way):

* answerable: A is asked the questions of its own articles, B of its own; the reply "contains the answer" when the
  normalised gold answer (case, punctuation, 'ё', spacing) occurs in the normalised reply;
* unanswerable: A is asked the questions of B's articles and B those of A's (the answers are absent): a reply
  that shows sources is a confident (wrong) answer;
* small talk and off-topic: 50 questions per language written for this eval (benchmarks/data/
  smalltalk_offtopic.json), asked of A: a reply with sources is a confident answer;
* retrieval: hit@1/3/5 and MRR of the hybrid search over all 24 articles (services/knowledge/evaluation.py).

Also the mean reply length (characters, answerable replies; all replies) and the share of answerable questions the
assistant declined ('not found'). Uses DATABASE_URL, or an embedded PostgreSQL in a temporary directory. The API
runs in process (ASGI transport): the numbers are about what is answered, not about HTTP latency
(benchmarks/http_answer_latency.py measures that).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import time
import unicodedata
from pathlib import Path

import httpx

from benchmarks.http_answer_latency import _ensure_database, _enterprise

RESULTS = Path(__file__).resolve().parent / "results"
SMALL_TALK = Path(__file__).resolve().parent / "data" / "smalltalk_offtopic.json"
HALF = 12


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("ё", "е")
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def contains_answer(reply: str, answers: list[str]) -> bool:
    got = f" {normalise(reply)} "
    return any(f" {normalise(a)} " in got for a in answers if normalise(a))


def _questions(articles: list[dict]) -> list[tuple[str, list[str]]]:
    from chatai_app.services.knowledge.evaluation import load_questions

    return load_questions({"data": articles})


async def _assistant(client: httpx.AsyncClient, auth: dict[str, str], name: str, articles: list[dict],
                     strictness: str | None) -> str:  # fmt: skip
    from chatai_app.services.knowledge.evaluation import article_text

    created = await client.post("/api/v1/assistants", json={"name": name}, headers=auth)
    assert created.status_code == 201, created.text
    assistant_id = created.json()["id"]
    if strictness:
        changed = await client.patch(f"/api/v1/assistants/{assistant_id}", json={"strictness": strictness},
                                     headers=auth)  # fmt: skip
        assert changed.status_code == 200, changed.text
    for article in articles:
        files = {"file": (f"{article['title']}.txt", article_text(article).encode(), "text/plain")}
        uploaded = await client.post(f"/api/v1/assistants/{assistant_id}/documents", files=files, headers=auth)
        assert uploaded.status_code == 201, uploaded.text
    return assistant_id


async def _unlimited(tenant_id: str) -> None:
    """Enterprise plan and a balance that ~2,700 replies cannot exhaust (the welcome bonus pays for 100)."""
    import sqlalchemy as sa

    from chatai_app.db import session_scope

    await _enterprise(tenant_id)
    async with session_scope() as session:
        await session.exec(
            sa.text("UPDATE tenants SET balance_minor = 10000000000 WHERE id = :t"), params={"t": tenant_id}
        )


class Asker:
    def __init__(self, client: httpx.AsyncClient, auth: dict[str, str]) -> None:
        self.client, self.auth, self.n = client, auth, 0

    async def __call__(self, assistant_id: str, text: str) -> dict:
        self.n += 1
        response = await self.client.post(
            f"/api/v1/assistants/{assistant_id}/chat",
            json={"text": text, "conversation_id": f"eval-{self.n}"}, headers=self.auth,
        )  # fmt: skip
        assert response.status_code == 200, response.text
        turn = response.json()
        assert turn["outcome"] not in ("no_funds", "blocked", "fallback"), turn
        return turn


def _sample(items: list, limit: int | None) -> list:
    if limit is None or limit >= len(items):
        return items
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


async def evaluate_language(
    client: httpx.AsyncClient, language: str, *, limit: int | None, strictness: str | None, details: list[dict]
) -> dict[str, object]:
    from chatai_app.data import XQUAD_DIR
    from chatai_app.worker import run_until_idle

    data = json.loads((XQUAD_DIR / f"xquad-dev.{language}.json").read_text(encoding="utf-8"))["data"]
    email = f"answer-quality-{language}-{time.time_ns()}@example.com"
    signup = await client.post("/api/v1/auth/signup", json={"email": email, "password": "bench password 1"})
    assert signup.status_code == 201, signup.text
    auth = {"Authorization": f"Bearer {signup.json()['access_token']}"}
    await _unlimited((await client.get("/api/v1/auth/me", headers=auth)).json()["tenant_id"])
    halves = (data[:HALF], data[HALF : 2 * HALF])
    ids = [await _assistant(client, auth, f"XQuAD {language} {i}", half, strictness) for i, half in enumerate(halves)]
    await run_until_idle()
    ask = Asker(client, auth)

    answerable: list[tuple[str, str, list[str]]] = []
    unanswerable: list[tuple[str, str, list[str]]] = []
    for own, other, half in ((ids[0], ids[1], halves[0]), (ids[1], ids[0], halves[1])):
        for question, answers in _sample(_questions(half), None if limit is None else limit // 2):
            answerable.append((own, question, answers))
            unanswerable.append((other, question, answers))
    extra = json.loads(SMALL_TALK.read_text(encoding="utf-8"))[language]

    contained, declined, lengths = 0, 0, []
    for assistant_id, question, answers in answerable:
        turn = await ask(assistant_id, question)
        hit = contains_answer(turn["reply_text"], answers)
        contained += hit
        declined += not turn["sources"]
        lengths.append(len(turn["reply_text"]))
        details.append({"language": language, "set": "answerable", "question": question, "answers": answers,
                        "reply": turn["reply_text"], "sources": len(turn["sources"]), "contains": hit})  # fmt: skip
    confident_unanswerable, unanswerable_lengths = 0, []
    for assistant_id, question, _ in unanswerable:
        turn = await ask(assistant_id, question)
        confident_unanswerable += bool(turn["sources"])
        unanswerable_lengths.append(len(turn["reply_text"]))
        details.append({"language": language, "set": "unanswerable", "question": question,
                        "reply": turn["reply_text"], "sources": len(turn["sources"])})  # fmt: skip
    casual: dict[str, int] = {}
    casual_lengths: list[int] = []
    for kind in ("small_talk", "off_topic"):
        confident = 0
        for question in extra[kind]:
            turn = await ask(ids[0], question)
            confident += bool(turn["sources"])
            casual_lengths.append(len(turn["reply_text"]))
            details.append({"language": language, "set": kind, "question": question,
                            "reply": turn["reply_text"], "sources": len(turn["sources"])})  # fmt: skip
        casual[kind] = confident
    n_ans, n_un, n_casual = len(answerable), len(unanswerable), sum(len(extra[k]) for k in casual)
    every = lengths + unanswerable_lengths + casual_lengths
    return {
        "language": language,
        "answerable": {"questions": n_ans, "contains_answer": round(contained / n_ans, 4),
                       "declined": round(declined / n_ans, 4), "mean_reply_chars": round(statistics.mean(lengths), 1)},
        "unanswerable": {"questions": n_un, "confident": round(confident_unanswerable / n_un, 4),
                         "mean_reply_chars": round(statistics.mean(unanswerable_lengths), 1)},
        "small_talk_off_topic": {"questions": n_casual, "confident": round(sum(casual.values()) / n_casual, 4),
                                 **{f"confident_{k}": v for k, v in casual.items()}},
        "mean_reply_chars_all": round(statistics.mean(every), 1),
    }  # fmt: skip


async def retrieval_scores(language: str, articles: int | None) -> dict[str, object]:
    from chatai_app.data import XQUAD_DIR
    from chatai_app.services.knowledge.evaluation import evaluate_dataset

    report = await evaluate_dataset(
        XQUAD_DIR / f"xquad-dev.{language}.json", language=language, modes=("hybrid",), articles=articles
    )
    scores = report.scores[0]
    return {"hit@1": scores.hit_at[1], "hit@3": scores.hit_at[3], "hit@5": scores.hit_at[5], "mrr": scores.mrr,
            "p50_ms": scores.p50_ms, "chunks": report.chunks}  # fmt: skip


def format_table(results: list[dict]) -> str:
    lines = [
        "lang  answerable:contains  declined  mean chars | unanswerable:confident | small talk+off-topic:confident"
        " | mean chars (all) | hit@1   hit@3   hit@5   MRR"
    ]
    for r in results:
        a, u, c, ret = r["answerable"], r["unanswerable"], r["small_talk_off_topic"], r["retrieval"]
        lines.append(
            f"{r['language']:<5} {a['contains_answer']:>19.1%}  {a['declined']:>8.1%}  {a['mean_reply_chars']:>10.0f} |"
            f" {u['confident']:>22.1%} | {c['confident']:>30.1%} | {r['mean_reply_chars_all']:>16.0f} |"
            f" {ret['hit@1']:.4f}  {ret['hit@3']:.4f}  {ret['hit@5']:.4f}  {ret['mrr']:.4f}"
        )
    return "\n".join(lines)


async def run(languages: list[str], limit: int | None, strictness: str | None, details: list[dict]) -> list[dict]:
    from chatai_app.api.app import build_server
    from chatai_app.db import dispose_engines

    transport = httpx.ASGITransport(app=build_server(), client=("10.9.9.9", 5000))
    results = []
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://chatai.test", timeout=120) as client:
            for language in languages:
                started = time.perf_counter()
                result = await evaluate_language(client, language, limit=limit, strictness=strictness, details=details)
                result["retrieval"] = await retrieval_scores(language, None if limit is None else 2)
                result["seconds"] = round(time.perf_counter() - started, 1)
                results.append(result)
    finally:
        await dispose_engines()
    return results


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", nargs="+", choices=("en", "ru"), default=["en", "ru"])
    parser.add_argument("--limit", type=int, default=None, help="at most N answerable (and N unanswerable) questions")
    parser.add_argument("--strictness", choices=("strict", "balanced", "lenient"), default=None)
    parser.add_argument("--label", default="", help="stored with the results (e.g. 'before')")
    parser.add_argument("--out", type=Path, default=RESULTS / "answer_quality.json", help="'-' to not save")
    parser.add_argument("--details", type=Path, default=None, help="every question and reply, as JSON lines")
    args = parser.parse_args(argv)

    os.environ.setdefault("ACCESS_TOKEN_TTL_S", str(24 * 3600))  # a run on a loaded machine outlasts 15 minutes
    _ensure_database()
    details: list[dict] = []
    results = asyncio.run(run(args.languages, args.limit, args.strictness, details))
    report = {"label": args.label, "strictness": args.strictness or "default", "limit": args.limit,
              "results": results}  # fmt: skip
    print(format_table(results))
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if str(args.out) != "-":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    if args.details:
        args.details.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in details))
    return report


if __name__ == "__main__":
    main()
