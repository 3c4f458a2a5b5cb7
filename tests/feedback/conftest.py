"""Answer feedback fixtures: workspaces, the widget API, the fake Bot API with a fleet, a stored answer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from chatai_app.db import session_scope
from chatai_app.models import Dialog, DialogMessage
from tests.knowledge.conftest import Workspace
from tests.telegram.conftest import fake_telegram, fleet  # noqa: F401  (the fake Bot API, a fleet)
from tests.widget.conftest import api_server  # noqa: F401  (the widget API over real HTTP)


@dataclass(frozen=True)
class Stored:
    dialog_id: uuid.UUID
    question_id: int
    answer_id: int


async def stored_dialog(ws: Workspace, chat: str = "chat-1", channel: str = "widget") -> Stored:
    """A dialog of `ws` with one question and the assistant's answer."""
    async with session_scope() as session:
        dialog = Dialog(tenant_id=ws.tenant_id, assistant_id=ws.assistant_id, channel=channel, external_chat_id=chat)
        session.add(dialog)
        await session.flush()
        question = DialogMessage(tenant_id=ws.tenant_id, dialog_id=dialog.id, role="user", content="Delivery?")
        answer = DialogMessage(tenant_id=ws.tenant_id, dialog_id=dialog.id, role="assistant", content="3 days.")
        session.add_all([question, answer])
        await session.flush()
        assert question.id is not None and answer.id is not None
        return Stored(dialog.id, question.id, answer.id)
