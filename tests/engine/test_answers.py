"""Answers a business can trust (issue 15): 'not found' instead of an unrelated quote, small talk, concise quotes,
the model's verdict, strictness."""

from __future__ import annotations

import psycopg
import pytest

from chatai_app.db import session_scope
from chatai_app.services import assistants, conversation, knowledge_gaps, smalltalk
from chatai_app.services.conversation import Incoming
from chatai_app.services.knowledge import documents, relevance
from chatai_app.services.knowledge.retrieval import Hit
from chatai_app.services.llm import (
    NO_ANSWER,
    QUOTE_BUDGET,
    OfflineExtractive,
    Prompt,
    VerdictFilter,
    best_sentences,
    parse_verdict,
    split_sentences,
)
from tests.engine.test_conversation import Collect, _rows, _with_knowledge
from tests.fakes.openai_server import FakeOpenAIServer
from tests.knowledge.conftest import Workspace, drain_queue

HOURS = b"# Opening hours\n\nThe shop is open from 9 am to 8 pm on weekdays and from 10 am to 6 pm on Saturdays."


def _say(ws: Workspace, text: str, chat: str = "c1", channel: str = "widget") -> Incoming:
    return Incoming(ws.tenant_id, ws.assistant_id, channel, chat, text)


async def _balance(url: str) -> int:
    return _rows(url, "SELECT balance_minor FROM tenants")[0][0]


@pytest.mark.parametrize(
    "question",
    ["What is the capital of France?", "Какая столица Франции?", "Какая погода завтра?", "Расскажи анекдот",
     "How much does the Premium plan cost?", "Do you sell helicopters?"],
)  # fmt: skip
async def test_off_topic_questions_get_not_found_without_sources(shop: Workspace, question: str) -> None:
    await _with_knowledge(shop)
    async with session_scope() as session:
        await documents.add_document(session=session, tenant_id=shop.tenant_id, assistant_id=shop.assistant_id,
                                     filename="hours.txt", data=HOURS)  # fmt: skip
    await drain_queue()
    turn = await conversation.handle_incoming(_say(shop, question))
    language = "ru" if any("а" <= ch <= "я" for ch in question.lower()) else "en"
    assert (turn.reply_text, turn.sources) == (NO_ANSWER[language], [])


async def test_two_misses_call_a_human_and_the_questions_join_the_gap_list(shop: Workspace, clean_db: str) -> None:
    await _with_knowledge(shop)
    first = await conversation.handle_incoming(_say(shop, "What is the capital of France?"))
    assert first.outcome == "answered" and first.sources == []
    second = await conversation.handle_incoming(_say(shop, "Какая погода завтра?"))
    assert second.outcome == "handoff" and second.handoff_message_id is not None
    assert _rows(clean_db, "SELECT status FROM dialogs") == [("waiting",)]
    async with session_scope() as session:
        gaps = await knowledge_gaps.list_gaps(session=session, tenant_id=shop.tenant_id)
    assert {"What is the capital of France?", "Какая погода завтра?"} <= {e for g in gaps for e in g.examples}


async def test_answerable_questions_still_get_a_short_quote_with_its_source(shop: Workspace) -> None:
    await _with_knowledge(shop)
    for question, expected in (("How much does courier delivery cost?", "300 roubles"),
                               ("Сколько стоит курьерская доставка?", "300 roubles"),
                               ("How long does delivery to Kazan take?", "three days")):  # fmt: skip
        turn = await conversation.handle_incoming(_say(shop, question, chat=question))
        assert expected in turn.reply_text and turn.sources[0]["document"] == "delivery.txt", question


async def test_small_talk_is_answered_politely_without_knowledge_or_charge(shop: Workspace, clean_db: str) -> None:
    await _with_knowledge(shop)
    before = await _balance(clean_db)
    replies = {}
    for text in ("Hi!", "Спасибо большое!", "Who are you?", "До свидания"):
        turn = await conversation.handle_incoming(_say(shop, text))
        assert turn.sources == [] and turn.cost_minor == 0 and turn.outcome == "answered"
        replies[text] = turn.reply_text
    assert replies["Hi!"] == smalltalk.REPLIES["greeting"]["en"]
    assert replies["Спасибо большое!"] == smalltalk.REPLIES["thanks"]["ru"]
    assert "Helper" in replies["Who are you?"] and replies["До свидания"].startswith("До свидания")
    assert await _balance(clean_db) == before  # the reservation goes back
    assert _rows(clean_db, "SELECT meta->>'misses' FROM dialogs") == [(None,)]  # not a miss
    real = await conversation.handle_incoming(_say(shop, "Hi, how much does courier delivery cost?", chat="c2"))
    assert "300 roubles" in real.reply_text  # a question with a greeting is a question


def test_small_talk_is_only_small_talk() -> None:
    assert smalltalk.classify("Hello there") == "greeting"
    assert smalltalk.classify("OK, thanks, bye") == "goodbye"
    assert smalltalk.classify("Кто ты?") == "identity"
    for question in (
        "Hi, how much is delivery?",
        "Thanks, and to Kazan?",
        "Are you open on Sunday?",
        "Как дела с заказом?",
    ):
        assert smalltalk.classify(question) is None, question


def test_offline_quote_is_the_sentences_that_answer() -> None:
    passage = (
        "Our company was founded in 1998 in Kazan. We sell garden tools of our own design. Courier delivery costs "
        "300 roubles in the city and 500 roubles elsewhere. Parcels arrive in three days. The founder loves cats "
        "and tea. Our warehouse is the largest in the region, with forty loading bays and its own railway siding."
    )
    quote = best_sentences(passage, "How much does courier delivery cost?")
    assert "300 roubles" in quote and "founded" not in quote and "railway" not in quote
    assert len(quote) <= QUOTE_BUDGET


def test_offline_quote_skips_stop_words_and_prefers_a_date_for_when() -> None:
    passage = (
        "What the shop was known for was the way that it had been run by the family for all of those years. "
        "Its warehouse is the largest in the region. It was built in 2005 by the founder."
    )
    assert "2005" in best_sentences(passage, "When was the warehouse that the shop has built?", budget=90)
    passage_ru = (
        "Компания была основана в Казани, и она была известна своими садовыми инструментами. "
        "Склад компании самый большой в регионе. Его построили в 2005 году."
    )
    assert "2005" in best_sentences(passage_ru, "В каком году построили склад?", budget=90)


def test_offline_quote_keeps_the_neighbour_only_within_the_budget() -> None:
    answering = "Courier delivery in the city costs 300 roubles and is paid to the courier in cash or by card"
    following = "Parcels to other regions go by post and take three to five working days to arrive"
    passage = f"Our shop sells garden tools. {answering}. {following}. The founder loves cats."
    question = "How much does courier delivery cost?"
    both = len(answering) + len(following) + 3
    assert best_sentences(passage, question, budget=both) == f"{answering}. {following}."
    assert best_sentences(passage, question, budget=both - 1) == f"Our shop sells garden tools. {answering}."


def test_offline_quote_takes_the_runner_up_sentence_before_a_neighbour() -> None:
    city = "Courier delivery in Kazan takes one day"
    regions = "Courier delivery to other regions takes three days"
    passage = f"{city}. Our shop sells garden tools of its own design. The founder loves cats. {regions}."
    assert best_sentences(passage, "How long does courier delivery take in Kazan and in other regions?") == (
        f"{city}. {regions}."
    )


def test_an_initial_or_an_abbreviation_does_not_end_a_sentence() -> None:
    text = "Комиссию возглавил Уильям Э. Саймон, бывший заместитель министра. Dr. Smith joined in 1974. Работа шла год."
    assert split_sentences(text) == [
        "Комиссию возглавил Уильям Э. Саймон, бывший заместитель министра.",
        "Dr. Smith joined in 1974.",
        "Работа шла год.",
    ]


async def _offline_reply(hits: list[Hit], question: str) -> tuple[str, list[int] | None]:
    async def ignore(_: str) -> None:
        return None

    prompt = Prompt(system="", history=[], question=question, hits=hits)
    completion = await OfflineExtractive().complete(prompt, model="", temperature=0, max_tokens=0, on_delta=ignore)
    return completion.text, completion.cited


async def test_offline_answer_quotes_the_second_passage_when_one_of_its_sentences_holds_more_of_the_question() -> None:
    hours = Hit("chunk", "1", "The shop is open from 9 to 20. Courier delivery starts at 10 am.", 0.9,
                document_name="hours.txt")  # fmt: skip
    prices = Hit("chunk", "2", "Courier delivery in the city costs 300 roubles. Pickup is free.", 0.8,
                 document_name="prices.txt")  # fmt: skip
    text, cited = await _offline_reply([hours, prices], "How much does courier delivery in the city cost?")
    assert text.startswith("Courier delivery in the city costs 300 roubles.") and cited == [2]
    assert text.endswith("Source: prices.txt [2]")
    text, cited = await _offline_reply([hours, prices], "When does courier delivery start?")
    assert "10 am" in text and cited == [1] and text.endswith("Source: hours.txt [1]")


def test_verdict_line_is_held_back_from_the_stream_and_read() -> None:
    pieces = ["Delivery costs 300 roubles [2].", "\nVER", 'DICT: {"answered": true, ', '"sources": [2, 9]}']
    shown = VerdictFilter()
    out = "".join(shown.feed(p) for p in pieces) + shown.finish()
    assert out.strip() == "Delivery costs 300 roubles [2]." and "VER" not in out
    assert parse_verdict(shown.tail, hits=3) == (True, [2])
    assert parse_verdict('VERDICT: {"answered": false, "sources": [1]}', hits=3) == (False, [])
    assert parse_verdict("VERDICT: maybe", hits=3) is None and parse_verdict(None, hits=3) is None
    plain = VerdictFilter()
    assert "".join(plain.feed(p) for p in ("A VER", "Y good answer")) + plain.finish() == "A VERY good answer"


async def test_model_verdict_picks_the_sources_and_marks_misses(
    shop: Workspace, fake_llm: FakeOpenAIServer, clean_db: str
) -> None:
    await _with_knowledge(shop, provider="openai", model="fake-gpt")
    async with session_scope() as session:
        await documents.add_document(session=session, tenant_id=shop.tenant_id, assistant_id=shop.assistant_id,
                                     filename="hours.txt", data=HOURS)  # fmt: skip
    await drain_queue()
    fake_llm.replies.append('It costs 300 roubles [2].\nVERDICT: {"answered": true, "sources": [2]}')
    sink = Collect()
    turn = await conversation.handle_incoming(
        _say(shop, "How much does courier delivery cost and when open?"), sink=sink
    )
    system = fake_llm.requests[-1][1]["messages"][0]["content"]
    assert "VERDICT:" in system and "answer only from the numbered knowledge" in system.lower()
    assert turn.reply_text == "It costs 300 roubles [2]." and "".join(sink.parts).strip() == turn.reply_text
    assert [s["n"] for s in turn.sources] == [2]

    fake_llm.replies.append('Sorry, that is not in what I know.\nVERDICT: {"answered": false, "sources": []}')
    missed = await conversation.handle_incoming(_say(shop, "Do you sell helicopters with delivery?", chat="c2"))
    assert missed.sources == [] and missed.reply_text == "Sorry, that is not in what I know."
    assert _rows(clean_db, f"SELECT meta->>'misses' FROM dialogs WHERE id = '{missed.dialog_id}'") == [("1",)]
    assert _rows(clean_db, "SELECT status FROM dialog_messages WHERE role = 'assistant' ORDER BY id") == [
        ("ok",),
        ("no_answer",),
    ]
    fake_llm.replies.append("Delivery costs 300 roubles [1].")  # no verdict: the answer stands with every source
    plain = await conversation.handle_incoming(_say(shop, "How much does courier delivery cost?", chat="c3"))
    assert plain.reply_text == "Delivery costs 300 roubles [1]." and len(plain.sources) >= 1


async def test_strictness_is_a_setting_with_ordered_thresholds(shop: Workspace) -> None:
    assert relevance.threshold("strict") > relevance.threshold("balanced") > relevance.threshold("lenient")
    assert relevance.threshold(None) == relevance.threshold("balanced")
    saved = await assistants.apply_settings(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id,
                                            changes={"strictness": "strict"})  # fmt: skip
    assert saved["strictness"] == "strict"
    with pytest.raises(Exception, match="strict, balanced or lenient"):
        await assistants.apply_settings(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id,
                                        changes={"strictness": "paranoid"})  # fmt: skip
    _ = psycopg
