"""The inbox's live reloads share their database reads between open pages (issue 16): one read per workspace,
operator or dialog for a burst of events, never an answer older than the events a page was woken by."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from chatai_app.db import session_scope
from chatai_app.services import accounts, inbox
from chatai_app.services.accounts import AuthContext
from chatai_app.services.conversation import request_human
from chatai_app.services.events import Event
from chatai_app.state.inbox import InboxState, SharedReads, _Snapshot, _snapshot, unseen
from tests.knowledge.conftest import Workspace


async def test_pages_woken_by_the_same_events_share_one_read() -> None:
    reads = SharedReads()
    loads: list[int] = []
    release = asyncio.Event()

    async def load() -> int:
        loads.append(1)
        await release.wait()
        return len(loads)

    waiting = [asyncio.create_task(reads.get(("queue", 1), 5, load)) for _ in range(100)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiting) == [1] * 100 and len(loads) == 1
    assert await reads.get(("queue", 1), 5, load) == 1  # done, and no newer event since: reused
    assert await reads.get(("queue", 1), 4, load) == 1
    assert await reads.get(("queue", 2), 5, load) == 2  # another key reads on its own
    assert await reads.get(("queue", 1), 6, load) == 3  # a newer event: read again


async def test_a_failed_read_fails_its_sharers_and_the_next_event_reads_again() -> None:
    reads = SharedReads()

    async def broken() -> int:
        raise ConnectionError("database away")

    async def fine() -> int:
        return 7

    with pytest.raises(ConnectionError):
        await reads.get(("k",), 1, broken)
    assert await reads.get(("k",), 2, fine) == 7


async def _context(ws: Workspace, user_id: uuid.UUID) -> AuthContext:
    async with session_scope() as session:
        return await accounts.load_context(session=session, user_id=user_id, tenant_id=ws.tenant_id)


async def test_shared_snapshots_match_each_operators_own(shop: Workspace) -> None:
    async with session_scope() as session:
        owner = (
            await accounts.authenticate(session=session, email="shop@example.com", password="password 123")
        ).user_id
        other = await accounts.add_operator(session=session, tenant_id=shop.tenant_id, email="op@example.com",
                                            password="operator pass 1", full_name="Oleg")  # fmt: skip
    first, _ = await request_human(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, channel="widget",
                                   external_chat_id="v1", language="en")  # fmt: skip
    await request_human(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, channel="widget",
                        external_chat_id="v2", language="en")  # fmt: skip
    await inbox.take_dialog(tenant_id=shop.tenant_id, operator_id=other, dialog_id=first)
    mine, theirs = await _context(shop, owner), await _context(shop, other)
    for context in (mine, theirs):
        for view, selected in (("queue", ""), ("mine", ""), ("all", str(first))):
            shared = await asyncio.gather(*(_snapshot(context, view, selected, shared_after=1) for _ in range(5)))
            own = await _snapshot(context, view, selected)
            assert all(_unclocked(s) == _unclocked(own) for s in shared), (context.email, view)
    assert (await _snapshot(theirs, "mine", "", shared_after=1)).counts["mine"] == 1
    assert (await _snapshot(mine, "mine", "", shared_after=1)).counts["mine"] == 0
    assert (await _snapshot(theirs, "all", str(first), shared_after=1)).header["mine"] == "yes"
    assert (await _snapshot(mine, "all", str(first), shared_after=1)).header["mine"] == ""


def _unclocked(snap: _Snapshot) -> _Snapshot:
    """The snapshot without how long each dialog has waited (a second may tick between two reads)."""
    rows = [{k: v for k, v in row.items() if not k.startswith("waited")} for row in snap.items]
    return _Snapshot(rows, snap.counts, snap.colleagues, snap.header, snap.messages, snap.earlier)


def test_a_reload_sets_only_what_changed_and_never_aliases_shared_rows() -> None:
    """An unchanged var would still be type-checked, serialised and sent to every open page on each event."""
    page = InboxState(_reflex_internal_init=True)  # a page's state, outside a running app
    row = {"id": "d1", "user": "Visitor", "waited": "3", "waited_unit": "s"}
    snap = _Snapshot([row], {"queue": 1, "mine": 0, "unread": 0}, [], {}, [], [])
    assert page._apply(snap) == 1 and page.dirty_vars == {"items", "queue_count"}
    page.dirty_vars.clear()
    assert page._apply(snap) == 0 and page.dirty_vars == set()  # the same again: nothing to send
    row["waited"] = "4"  # the shared row changes (the next read): the page's copy did not change with it
    assert page._apply(snap) == 0 and page.dirty_vars == {"items"} and page.items[0]["waited"] == "4"
    page.dirty_vars.clear()
    snap.colleagues.append({"name": "Olga", "status": "online"})
    snap.messages.append({"id": "1", "content": "hello"})  # the open dialog's lines, shared with other pages too
    assert page._apply(snap) == 0 and page.dirty_vars == {"colleagues", "messages"}
    page.dirty_vars.clear()
    snap.messages[0]["content"] = "edited"
    assert page._apply(snap) == 0 and page.dirty_vars == {"messages"} and page.messages[0]["content"] == "edited"


def test_pages_skip_messages_of_dialogs_the_ai_handles_unless_they_show_them() -> None:
    dialog = str(uuid.uuid4())
    ai_message = Event("message.created", "t", {"dialog_id": dialog, "message_id": 1, "status": "ai"})
    assert unseen(ai_message, "queue", "") and unseen(ai_message, "mine", "") and unseen(ai_message, "active", "")
    assert not unseen(ai_message, "all", "")  # the list shows it
    assert not unseen(ai_message, "queue", dialog)  # it is open
    waiting = Event("message.created", "t", {"dialog_id": dialog, "message_id": 2, "status": "waiting"})
    unknown = Event("message.created", "t", {"dialog_id": dialog, "message_id": 3})  # an operator's, a delivery's
    handoff = Event("handoff.requested", "t", {"dialog_id": dialog, "status": "ai"})
    assert not any(unseen(e, "queue", "") for e in (waiting, unknown, handoff))
