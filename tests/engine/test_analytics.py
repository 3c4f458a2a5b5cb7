"""The analytics dashboard (issue 14 item 11) from real conversations through the engine, the inbox and the ledger on
real PostgreSQL: channels, outcomes, operators' first response, busiest hours, spend per assistant, tenant isolation."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import psycopg
import pytest

from chatai_app.db import session_scope
from chatai_app.services import accounts, analytics, assistants, conversation, feedback, inbox
from chatai_app.services.conversation import Incoming
from chatai_app.services.errors import ValidationFailed
from tests.engine.test_conversation import _with_knowledge
from tests.knowledge.conftest import Workspace


def _sql(url: str, sql: str, *params: object) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(sql, params)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


async def _say(ws: Workspace, text: str, chat: str, channel: str) -> conversation.TurnResult:
    return await conversation.handle_incoming(Incoming(ws.tenant_id, ws.assistant_id, channel, chat, text))


async def _dashboard(ws: Workspace, **kwargs: object) -> analytics.Dashboard:
    async with session_scope() as session:
        return await analytics.dashboard(session=session, tenant_id=ws.tenant_id, window=analytics.period(**kwargs))


async def test_dashboard_from_a_seeded_run(shop: Workspace, rival: Workspace, clean_db: str) -> None:
    await _with_knowledge(shop)
    answered = await _say(shop, "How much does courier delivery cost?", "w1", "widget")
    assert answered.sources  # answered from knowledge
    assert (await _say(shop, "Hi!", "t1", "telegram")).sources == []  # small talk: answered, no knowledge
    await _say(shop, "What is the capital of France?", "w2", "widget")  # an abstention...
    handed = await _say(shop, "Какая погода завтра?", "w2", "widget")  # ...and the second miss calls a human
    assert handed.outcome == "handoff"
    async with session_scope() as session:
        operator = await accounts.add_operator(
            session=session, tenant_id=shop.tenant_id, email="op@example.com", password="operator pass 1"
        )
    await inbox.take_dialog(tenant_id=shop.tenant_id, operator_id=operator, dialog_id=handed.dialog_id)
    await inbox.reply(tenant_id=shop.tenant_id, operator_id=operator, dialog_id=handed.dialog_id, text="Sunny!")
    # The operator answered 90 s after taking the dialog (the reply's time moved on; no waiting in tests).
    _sql(clean_db, "UPDATE dialog_messages SET created_at = created_at + interval '90 seconds' WHERE role = 'operator'")
    async with session_scope() as session:  # the visitor liked the knowledge answer
        await feedback.record_feedback(session=session, tenant_id=shop.tenant_id, dialog_id=answered.dialog_id,
                                       message_id=answered.reply_message_id, rating="up", channel="widget")  # fmt: skip
    # The rival's activity never shows in the shop's dashboard.
    await _say(rival, "Hello there, do you deliver?", "r1", "widget")

    board = await _dashboard(shop, days=7)
    assert board.channels["widget"] == {"dialogs": 2, "messages": 7}  # 3 user + 3 AI + 1 operator
    assert board.channels["telegram"] == {"dialogs": 1, "messages": 2}
    today = board.daily[-1]
    assert today["dialogs_widget"] == 2 and today["messages_telegram"] == 2 and len(board.daily) == 7
    assert board.outcomes == {"knowledge": 1, "other": 1, "handed_off": 1, "unanswered": 1}
    assert board.share("knowledge") == 0.25
    assert board.first_responses == 1 and board.median_first_response_s == pytest.approx(90, abs=5)
    assert [(o.name, o.count) for o in board.operators] == [("op@example.com", 1)]
    assert sum(map(sum, board.hours)) == 4  # users' messages
    charged = _sql(
        clean_db,
        "SELECT sum(m.cost_minor) FROM dialog_messages m JOIN dialogs d ON d.id = m.dialog_id "
        "WHERE d.tenant_id = %s AND m.role = 'assistant'",
        shop.tenant_id,
    )[0][0]
    assert charged > 0
    assert [(s.name, s.spent_minor) for s in board.spend] == [("Helper", charged)]
    assert board.spend[0].replies == 3  # the knowledge answer and both abstentions; small talk is given back

    assert board.feedback == {"up": 1, "down": 0}

    rival_board = await _dashboard(rival, days=7)
    assert rival_board.channels["widget"] == {"dialogs": 1, "messages": 2}
    assert rival_board.first_responses == 0 and rival_board.median_first_response_s is None
    assert rival_board.feedback == {"up": 0, "down": 0} and rival_board.spend[0].name == "Helper"


async def test_spend_is_split_by_assistant_and_bounded_by_the_period(shop: Workspace, clean_db: str) -> None:
    async with session_scope() as session:
        second = await assistants.create_assistant(session=session, tenant_id=shop.tenant_id, name="Sales")
    other = Workspace(shop.tenant_id, second.id)
    await _with_knowledge(shop)
    await _with_knowledge(other)
    for i in range(3):
        await _say(shop, "How much does courier delivery cost?", f"a{i}", "api")
    await _say(other, "How long does delivery to Kazan take?", "b1", "widget")
    board = await _dashboard(shop, days=30)
    assert [(s.name, s.replies) for s in board.spend] == [("Helper", 3), ("Sales", 1)]
    assert board.spend[0].spent_minor == 3 * board.spend[1].spent_minor  # one price for api and widget by default

    # Moved 40 days back, the activity leaves the 30-day window and shows in a custom range covering that day.
    _sql(clean_db, "UPDATE balance_transactions SET created_at = created_at - interval '40 days'")
    _sql(clean_db, "UPDATE dialog_messages SET created_at = created_at - interval '40 days'")
    _sql(clean_db, "UPDATE dialogs SET created_at = created_at - interval '40 days'")
    assert (await _dashboard(shop, days=30)).spend == []
    day = (datetime.now() - timedelta(days=40)).date()
    back = await _dashboard(shop, first=day - timedelta(days=1), last=day + timedelta(days=1))
    assert sum(s.replies for s in back.spend) == 4 and back.channels["api"]["dialogs"] == 3


def test_periods() -> None:
    week = analytics.period(days=7, today=date(2026, 3, 10), tz="Europe/Moscow")
    assert (week.first_day, week.last_day) == (date(2026, 3, 4), date(2026, 3, 10))
    assert week.start.isoformat() == "2026-03-03T21:00:00+00:00" and len(week.days) == 7
    custom = analytics.period(first=date(2026, 1, 1), last=date(2026, 1, 31))
    assert len(custom.days) == 31 and custom.tz == "UTC"
    for bad in ({"days": 0}, {"days": 400}, {"first": date(2026, 2, 1), "last": date(2026, 1, 1)},
                {"first": date(2024, 1, 1), "last": date(2026, 1, 1)}, {"days": 7, "tz": "Mars/Olympus"}):  # fmt: skip
        with pytest.raises(ValidationFailed):
            analytics.period(**bad)  # type: ignore[arg-type]


def test_the_page_shows_durations_in_both_languages_and_shades_the_heat_map() -> None:
    from chatai_app.state.analytics import _duration, _level

    assert _duration(65.4) == {"en": "1 min 05 s", "ru": "1 мин 05 с"}
    assert _duration(4000) == {"en": "1 h 06 min", "ru": "1 ч 06 мин"} and _duration(None)["ru"] == "—"
    assert [_level(n, 10) for n in (0, 1, 5, 10)] == [0, 1, 2, 4]
