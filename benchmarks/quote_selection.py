"""Quote selection of the offline answerer on the passage that holds the answer (no database, seconds).

    python -m benchmarks.quote_selection [en] [ru]

Each XQuAD dev article goes through the ingestion's extractor and chunker; for every question, the chunk that holds
a gold answer (the one overlapping the question's paragraph) is quoted by `services/llm.best_sentences`, and the quote
"holds the answer" when the normalised gold answer occurs in it (as in benchmarks/answer_quality.py). Printed per
half (articles 0-11, where rules are chosen, and 12-23, where they are checked) with the mean quote length. What the
chat API then replies (retrieval, abstention, the source line) is benchmarks/answer_quality.py's to measure.
"""

from __future__ import annotations

import json
import sys

from benchmarks.answer_quality import HALF, contains_answer
from chatai_app.data import XQUAD_DIR
from chatai_app.services.knowledge.chunking import chunk_blocks
from chatai_app.services.knowledge.evaluation import article_text
from chatai_app.services.knowledge.extraction import extract_blocks
from chatai_app.services.llm import best_sentences


def quote_scores(language: str) -> dict[str, dict[str, float]]:
    data = json.loads((XQUAD_DIR / f"xquad-dev.{language}.json").read_text(encoding="utf-8"))["data"]
    tally = {"0-11": [0, 0, 0], "12-23": [0, 0, 0]}
    for number, article in enumerate(data[: 2 * HALF]):
        chunks = chunk_blocks(extract_blocks("text", article_text(article).encode(), "article.txt"))
        half = tally["0-11" if number < HALF else "12-23"]
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = [a["text"] for a in qa["answers"]]
                holding = [c for c in chunks if contains_answer(c.content, answers)]
                if not holding:
                    continue  # the answer is split across two chunks
                chunk = next((c for c in holding if paragraph["context"][:60] in c.content), holding[0])
                quote = best_sentences(chunk.content, qa["question"])
                half[0] += contains_answer(quote, answers)
                half[1] += 1
                half[2] += len(quote)
    both = [sum(t[i] for t in tally.values()) for i in range(3)]
    return {
        name: {"holds_answer": round(held / n, 4), "questions": n, "mean_chars": round(chars / n, 1)}
        for name, (held, n, chars) in {**tally, "all": both}.items()
    }


def main(argv: list[str] | None = None) -> None:
    for language in (argv if argv is not None else sys.argv[1:]) or ["en", "ru"]:
        for half, scores in quote_scores(language).items():
            print(f"{language} {half:>5}: holds the answer {scores['holds_answer']:.1%} of {scores['questions']},"
                  f" mean {scores['mean_chars']:.0f} chars")  # fmt: skip


if __name__ == "__main__":
    main()
