"""Knowledge fixtures: two workspaces with an assistant each, and a way to run the job queue."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import pytest

from chatai_app.data import XQUAD_DIR
from chatai_app.db import session_scope
from chatai_app.services import accounts, assistants
from chatai_app.worker import run_until_idle


@dataclass(frozen=True)
class Workspace:
    tenant_id: uuid.UUID
    assistant_id: uuid.UUID


async def make_workspace(email: str) -> Workspace:
    async with session_scope() as session:
        context = await accounts.sign_up(session=session, email=email, password="password 123")
        assistant = await assistants.create_assistant(session=session, tenant_id=context.tenant_id, name="Helper")
    return Workspace(context.tenant_id, assistant.id)


@pytest.fixture
async def shop(clean_db: str) -> Workspace:
    return await make_workspace("shop@example.com")


@pytest.fixture
async def rival(clean_db: str) -> Workspace:
    return await make_workspace("rival@example.com")


async def drain_queue() -> None:
    await run_until_idle()


def xquad(language: str) -> dict:
    return json.loads((XQUAD_DIR / f"xquad-dev.{language}.json").read_text(encoding="utf-8"))
