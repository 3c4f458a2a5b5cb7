"""The conversation engine end to end: real PostgreSQL, real HTTP to a local OpenAI-compatible server."""

from __future__ import annotations

import psycopg
import pytest

from chatai_app.db import session_scope
from chatai_app.services import assistants, billing, conversation
from chatai_app.services.conversation import Incoming, StreamSink
from chatai_app.services.knowledge import documents
from tests.fakes.openai_server import FakeOpenAIServer
from tests.knowledge.conftest import Workspace, drain_queue

KNOWLEDGE = b"# Delivery\n\nParcels to Kazan arrive in three days. Courier delivery costs 300 roubles."
NOT_FOUND = "I could not find this in my knowledge base. Would you like to talk to a person?"


class Collect(StreamSink):
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.resets = 0

    async def delta(self, text: str) -> None:
        self.parts.append(text)

    async def reset(self) -> None:
        self.parts.clear()
        self.resets += 1


async def _with_knowledge(ws: Workspace, **settings: object) -> None:
    async with session_scope() as session:
        await documents.add_document(
            session=session,
            tenant_id=ws.tenant_id,
            assistant_id=ws.assistant_id,
            filename="delivery.txt",
            data=KNOWLEDGE,
        )
    await drain_queue()
    if settings:
        await assistants.apply_settings(tenant_id=ws.tenant_id, assistant_id=ws.assistant_id, changes=settings)


def _say(ws: Workspace, text: str, chat: str = "chat-1", message_id: str | None = None) -> Incoming:
    return Incoming(ws.tenant_id, ws.assistant_id, "api", chat, text, channel_message_id=message_id)


def _rows(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


async def test_openai_compatible_answer_is_streamed_grounded_stored_and_charged(
    shop: Workspace, fake_llm: FakeOpenAIServer, clean_db: str
) -> None:
    await _with_knowledge(shop, provider="openai", model="fake-gpt")
    sink = Collect()
    result = await conversation.handle_incoming(_say(shop, "How long does delivery to Kazan take?"), sink=sink)
    assert result.outcome == "answered"
    assert "three days" in result.reply_text and "".join(sink.parts) == result.reply_text and len(sink.parts) > 3
    assert result.sources[0]["document"] == "delivery.txt"
    assert (result.prompt_tokens, result.cost_minor) == (42, 100)
    _, request = fake_llm.requests[-1]
    assert request["stream"] is True and "Parcels to Kazan" in request["messages"][0]["content"]
    rows = _rows(
        clean_db, "SELECT role, status, cost_minor, jsonb_array_length(sources) FROM dialog_messages ORDER BY id"
    )
    assert rows == [("user", "ok", 0, 0), ("assistant", "ok", 100, len(result.sources))]
    ledger = _rows(clean_db, "SELECT type, amount_minor, balance_after_minor FROM balance_transactions ORDER BY id")
    assert ledger == [("welcome_bonus", 10000, 10000), ("charge", -100, 9900)]


async def test_offline_default_answers_from_knowledge_with_its_source(
    shop: Workspace, rival: Workspace, clean_db: str
) -> None:
    await _with_knowledge(shop)
    result = await conversation.handle_incoming(_say(shop, "Сколько стоит курьерская доставка?"))
    assert "300 roubles" in result.reply_text and "delivery.txt" in result.reply_text
    # Nothing matches at all (an assistant with no knowledge): the exact "not found" message, nothing made up,
    # no source, and it counts as a miss (the next one in a row calls a human; see test_handoff).
    nothing = await conversation.handle_incoming(_say(rival, "Do you sell helicopters?"))
    assert (nothing.outcome, nothing.reply_text, nothing.sources) == ("answered", NOT_FOUND, [])
    assert _rows(clean_db, f"SELECT meta->>'misses' FROM dialogs WHERE id = '{nothing.dialog_id}'") == [("1",)]


async def test_offline_answerer_does_not_quote_unrelated_knowledge(shop: Workspace) -> None:
    await _with_knowledge(shop)
    unrelated = await conversation.handle_incoming(_say(shop, "Do you sell helicopters?"))
    assert (unrelated.reply_text, unrelated.sources) == (NOT_FOUND, [])


async def test_repeated_channel_message_is_handled_once(shop: Workspace, clean_db: str) -> None:
    await _with_knowledge(shop)
    first = await conversation.handle_incoming(_say(shop, "delivery price?", message_id="tg-77"))
    again = await conversation.handle_incoming(_say(shop, "delivery price?", message_id="tg-77"))
    assert again.outcome == "duplicate" and again.user_message_id == first.user_message_id
    assert _rows(clean_db, "SELECT count(*) FROM dialog_messages") == [(2,)]
    assert _rows(clean_db, "SELECT count(*) FROM balance_transactions WHERE type = 'charge'") == [(1,)]


async def test_a_new_message_marks_its_dialog_unread_and_reopens_it_a_redelivered_one_does_not(
    shop: Workspace, clean_db: str
) -> None:
    """The message and its dialog's update are one statement (issue 16): a redelivery touches neither."""
    first = await conversation.handle_incoming(_say(shop, "hello there", message_id="tg-1"))
    dialog = f"SELECT status, unread_count, last_message_at FROM dialogs WHERE id = '{first.dialog_id}'"
    status, unread, seen_at = _rows(clean_db, dialog)[0]
    assert (status, unread) == ("ai", 1) and seen_at is not None
    await conversation.handle_incoming(_say(shop, "hello there", message_id="tg-1"))  # the channel delivers it again
    assert _rows(clean_db, dialog) == [("ai", 1, seen_at)]
    _rows(clean_db, f"UPDATE dialogs SET status = 'closed' WHERE id = '{first.dialog_id}' RETURNING id")
    await conversation.handle_incoming(_say(shop, "one more thing", message_id="tg-2"))
    status, unread, later = _rows(clean_db, dialog)[0]
    assert (status, unread) == ("ai", 2) and later > seen_at


async def test_keyword_hands_off_and_the_ai_then_stays_silent(shop: Workspace, clean_db: str) -> None:
    await _with_knowledge(shop)
    handed = await conversation.handle_incoming(_say(shop, "Позовите оператора, пожалуйста"))
    assert handed.outcome == "handoff" and "оператором" in handed.reply_text
    silent = await conversation.handle_incoming(_say(shop, "Are you there?"))
    assert silent.outcome == "with_operator" and silent.reply_message_id is None
    assert _rows(clean_db, "SELECT status FROM dialogs") == [("waiting",)]
    assert _rows(clean_db, "SELECT action, reason, details->>'keyword' FROM handoff_audit") == [
        ("requested", "keyword", "оператор")
    ]


async def test_zero_balance_stops_answering_without_charging(shop: Workspace, clean_db: str) -> None:
    await _with_knowledge(shop)
    with psycopg.connect(clean_db, autocommit=True) as conn:
        conn.execute("UPDATE tenants SET balance_minor = 50")
    result = await conversation.handle_incoming(_say(shop, "delivery price?"))
    assert result.outcome == "no_funds" and result.cost_minor == 0
    assert _rows(clean_db, "SELECT role FROM dialog_messages ORDER BY id") == [("user",), ("assistant",)]
    async with session_scope() as session:
        assert await billing.balance(session=session, tenant_id=shop.tenant_id) == 50


async def test_bad_input_is_refused_before_anything_is_stored(shop: Workspace, clean_db: str) -> None:
    from chatai_app.services.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        await conversation.handle_incoming(Incoming(shop.tenant_id, shop.assistant_id, "fax", "", "   "))
    assert set(caught.value.fields) == {"text", "channel", "external_chat_id"}
    assert _rows(clean_db, "SELECT count(*) FROM dialogs") == [(0,)]
