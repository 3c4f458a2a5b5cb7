"""Telegram webhooks and bot management over HTTP.

The webhook URL carries the bot's id, never its token; requests without the bot's secret token get
401 and are logged without their body.
"""

from __future__ import annotations

import logging
import uuid

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from chatai_app.api.deps import AssistantsManager, DbSession, public
from chatai_app.services import telegram

router = APIRouter(tags=["telegram"])
log = logging.getLogger("chatai.telegram")


class BotIn(BaseModel):
    assistant_id: uuid.UUID
    token: str = Field(max_length=200)
    mode: str = "polling"


class EnabledIn(BaseModel):
    enabled: bool


class ModeIn(BaseModel):
    mode: str


@router.post(
    "/telegram/webhook/{bot_id}",
    include_in_schema=False,
    dependencies=[public("Telegram calls it; the secret is checked")],
)
async def webhook(
    bot_id: uuid.UUID,
    request: Request,
    secret: str | None = Header(default=None, alias="X-Telegram-Bot-Api-Secret-Token"),
) -> JSONResponse:
    try:
        await telegram.accept_webhook_update(bot_id, secret, await request.body())  # the secret is checked first
    except telegram.WebhookRejected:
        host = request.client.host if request.client else "?"
        log.warning("telegram webhook for bot %s rejected from %s: bad secret token", bot_id, host)
        return JSONResponse({"ok": False, "description": "Unauthorized"}, status_code=401)
    return JSONResponse({"ok": True})


@router.post("/api/v1/bots", status_code=201)
async def connect_bot(body: BotIn, context: AssistantsManager) -> telegram.BotOut:
    return await telegram.connect_bot(
        tenant_id=context.tenant_id, assistant_id=body.assistant_id, token=body.token, mode=body.mode
    )


@router.get("/api/v1/bots")
async def list_bots(context: AssistantsManager, session: DbSession) -> list[telegram.BotOut]:
    return await telegram.list_bots(session=session, tenant_id=context.tenant_id)


@router.put("/api/v1/bots/{bot_id}/enabled")
async def enable_bot(bot_id: uuid.UUID, body: EnabledIn, context: AssistantsManager) -> telegram.BotOut:
    return await telegram.set_enabled(tenant_id=context.tenant_id, bot_id=bot_id, enabled=body.enabled)


@router.put("/api/v1/bots/{bot_id}/mode")
async def change_mode(bot_id: uuid.UUID, body: ModeIn, context: AssistantsManager) -> telegram.BotOut:
    return await telegram.set_mode(tenant_id=context.tenant_id, bot_id=bot_id, mode=body.mode)


@router.delete("/api/v1/bots/{bot_id}", status_code=204)
async def remove_bot(bot_id: uuid.UUID, context: AssistantsManager) -> Response:
    await telegram.remove_bot(tenant_id=context.tenant_id, bot_id=bot_id)
    return Response(status_code=204)
