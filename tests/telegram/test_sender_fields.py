"""Item 9 of issue 12: polling and webhook read the same update the same way (the sender is `from`)."""

from __future__ import annotations

import asyncio
from typing import Any

from bot_fleet.fleet import Fleet
from chatai_app.db import session_scope
from chatai_app.services import dialogs, telegram
from tests.engine.test_conversation import _with_knowledge
from tests.fakes.telegram_server import FakeTelegram
from tests.knowledge.conftest import Workspace, drain_queue
from tests.telegram.conftest import wait_until
from tests.telegram.helpers import message_update, owner_api

IVAN = {"id": 4242, "is_bot": False, "first_name": "Иван", "last_name": "Петров", "language_code": "ru"}
GROUP = -300


def _updates(bot_id: int, username: str) -> list[dict[str, Any]]:
    """The same conversation for either bot: /start, a photo, a question, and a reply to the bot in a group."""
    bot_user = {"id": bot_id, "is_bot": True, "first_name": "Shop", "username": username}
    photo = [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]
    earlier = {"message_id": 1, "date": 0, "chat": {"id": GROUP, "type": "group"}, "from": bot_user, "text": "Hi!"}
    return [
        message_update(IVAN["id"], "/start", user=IVAN, message_id=1),
        message_update(IVAN["id"], user=IVAN, message_id=2, photo=photo),
        message_update(IVAN["id"], "How much is courier delivery?", user=IVAN, message_id=3),
        message_update(
            GROUP,
            "How much is courier delivery?",
            user=IVAN,
            chat_type="group",
            message_id=2,
            reply_to_message=earlier,
        ),
    ]


async def _names(ws: Workspace) -> dict[str, str]:
    async with session_scope() as session:
        found = await dialogs.list_dialogs(session=session, tenant_id=ws.tenant_id)
    return {d.external_chat_id: d.end_user_name for d in found}


async def test_polling_and_webhook_see_the_same_sender(
    shop: Workspace, rival: Workspace, fake_telegram: FakeTelegram, fleet: Fleet
) -> None:
    await _with_knowledge(shop)
    await _with_knowledge(rival)
    polling = fake_telegram.add_bot(720001, "poll_shop_bot")
    hooked = fake_telegram.add_bot(720002, "hook_shop_bot")
    await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=polling)
    hook = await telegram.connect_bot(
        tenant_id=rival.tenant_id, assistant_id=rival.assistant_id, token=hooked, mode="webhook"
    )

    for update in _updates(720001, "poll_shop_bot"):
        fake_telegram.push_update(polling, update)
    secret = {"X-Telegram-Bot-Api-Secret-Token": fake_telegram.bots[hooked].webhook["secret_token"]}
    async with owner_api() as api:
        for update_id, update in enumerate(_updates(720002, "hook_shop_bot"), start=1):
            answer = await api.post(f"/telegram/webhook/{hook.id}", json={"update_id": update_id, **update},
                                    headers=secret)  # fmt: skip
            assert answer.status_code == 200
    await drain_queue()

    def answered(token: str) -> bool:
        return len(fake_telegram.sent_texts(token, IVAN["id"])) == 3 and bool(fake_telegram.sent_texts(token, GROUP))

    await wait_until(lambda: answered(polling) and answered(hooked), within_s=20)
    await asyncio.sleep(0.5)
    by_polling = [fake_telegram.sent_texts(polling, chat) for chat in (IVAN["id"], GROUP)]
    by_webhook = [fake_telegram.sent_texts(hooked, chat) for chat in (IVAN["id"], GROUP)]
    assert by_polling == by_webhook
    greeting, notice, reply = by_polling[0]
    assert (greeting, notice) == (telegram.GREETING["ru"], telegram.NON_TEXT["ru"])  # Ivan's language
    assert "300 roubles" in reply and len(by_polling[1]) == 1  # the group reply was addressed to the bot
    names = {"4242": "Иван Петров", str(GROUP): "Иван Петров"}
    assert await _names(shop) == names and await _names(rival) == names
