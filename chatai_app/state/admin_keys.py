"""/admin/keys: the platform's AI provider key pool (issue 14). Platform admins only; every handler re-checks it."""

from __future__ import annotations

import re
import uuid
from typing import Any

import reflex as rx

from chatai_app.i18n import UI
from chatai_app.services import provider_keys
from chatai_app.services.errors import ValidationFailed
from chatai_app.state.admin_console import _AdminBase
from chatai_app.state.session import SessionState

INT_FIELDS = ("priority", *provider_keys.LIMITS)


def _number(value: int | None) -> str:
    return "" if value is None else f"{value:,}".replace(",", " ")


def _when(iso: str) -> str:
    return iso[11:19] + " UTC" if iso else ""


# key_pool stores the reason in English: "<n> authentication failures in a row (HTTP <status>): <provider message>"
PARKED_AUTH = re.compile(r"(\d+) authentication failures in a row \(HTTP (\d+)\)(.*)", re.DOTALL)


def parked_reason(reason: str, lang: str) -> str:
    """The stored parked reason in the interface language: the fixed prefix from the catalogue, the provider's own
    message verbatim; an unknown reason is shown as stored."""
    found = PARKED_AUTH.fullmatch(reason)
    if found is None:
        return reason
    prefix = UI["okeys.parked_auth"][lang if lang in ("en", "ru") else "en"]
    return prefix.format(count=found[1], status=found[2]) + found[3]


def _row(key: provider_keys.ProviderKeyOut) -> dict[str, str]:
    today = key.today
    return {
        "id": str(key.id),
        "hint": key.key_hint,
        "provider": key.provider,
        "base_url": key.base_url,
        "models": ", ".join(key.models),
        "priority": str(key.priority),
        "requests_per_minute": _number(key.requests_per_minute),
        "daily_request_limit": _number(key.daily_request_limit),
        "daily_token_limit": _number(key.daily_token_limit),
        "monthly_token_limit": _number(key.monthly_token_limit),
        "state": key.state,
        "cooldown_until": _when(key.cooldown_until),
        "parked_en": parked_reason(key.parked_reason, "en"),
        "parked_ru": parked_reason(key.parked_reason, "ru"),
        "auth_failures": str(key.auth_failures),
        "last_error": key.last_error[:200],
        "requests": _number(today.get("requests", 0)),
        "tokens": _number(today.get("prompt_tokens", 0) + today.get("completion_tokens", 0)),
        "errors": _number(today.get("errors", 0)),
        "rate_limited": _number(today.get("rate_limited", 0)),
        "month_tokens": _number(key.month_tokens),
        "enabled": "yes" if key.enabled else "",
    }


def _ints(form: dict[str, Any]) -> dict[str, int | None]:
    """The form's numbers (blank: no limit); a field that is not a whole number is refused by name."""
    values: dict[str, int | None] = {}
    errors: dict[str, str] = {}
    for name in INT_FIELDS:
        text = str(form.get(name, "") or "").replace(" ", "").strip()
        try:
            values[name] = int(text) if text else None
        except ValueError:
            errors[name] = "Use a whole number"
    if errors:
        raise ValidationFailed(errors)
    return values


def _models(text: str) -> list[str]:
    return [m.strip() for m in text.replace("\n", ",").split(",") if m.strip()]


class AdminKeysState(_AdminBase):
    keys: list[dict[str, str]] = []
    editing: dict[str, str] = {}  # the key whose edit dialog is open
    history: list[dict[str, str]] = []  # its usage per day

    async def _reload(self, session: Any) -> None:
        self.keys = [_row(k) for k in await provider_keys.list_keys(session=session, tenant_id=None)]

    @rx.event
    async def load(self):
        self.denied = ""

        async def work(session: Any, context: Any, _: SessionState) -> None:
            await self._reload(session)

        return await self._guarded(work)

    async def _change(self, change: Any, done: str) -> Any:
        async def run(session: Any, context: Any, session_state: SessionState) -> str:
            await change(session, context)
            await session.flush()
            await self._reload(session)
            return session_state.message(done)

        result = await self._guarded(run)
        return rx.toast.success(result) if isinstance(result, str) else result

    @rx.event
    async def add_key(self, form: dict[str, Any]):
        async def change(session: Any, context: Any) -> None:
            numbers = _ints(form)
            await provider_keys.add_key(
                session=session, tenant_id=None, actor_user_id=context.user_id,
                api_key=str(form.get("api_key", "")), base_url=str(form.get("base_url", "")).strip(),
                provider=str(form.get("provider", "") or "openai").strip(), models=_models(str(form.get("models", ""))),
                priority=numbers.pop("priority") or 100, **numbers,  # type: ignore[arg-type]
            )  # fmt: skip

        return await self._change(change, "Key added")

    @rx.event
    async def open_edit(self, key_id: str):
        self.editing = next((dict(k) for k in self.keys if k["id"] == key_id), {})
        self.history = []
        if not self.editing:
            return None

        async def work(session: Any, context: Any, _: SessionState) -> None:
            days = await provider_keys.usage_by_day(session=session, tenant_id=None, key_id=uuid.UUID(key_id))
            self.history = [
                {"day": d.day, "requests": _number(d.requests), "errors": _number(d.errors),
                 "tokens": _number(d.prompt_tokens + d.completion_tokens), "rate_limited": _number(d.rate_limited)}
                for d in days
            ]  # fmt: skip

        return await self._guarded(work)

    @rx.event
    def edit_open_changed(self, is_open: bool) -> None:
        if not is_open:
            self.editing = {}

    @rx.event
    async def save_edit(self, form: dict[str, Any]):
        key_id, self.editing = self.editing.get("id", ""), {}
        if not key_id:
            return None

        async def change(session: Any, context: Any) -> None:
            numbers = _ints(form)
            priority = numbers.pop("priority")
            await provider_keys.update_key(
                session=session, tenant_id=None, key_id=uuid.UUID(key_id), actor_user_id=context.user_id,
                priority=100 if priority is None else priority, limits=numbers,
                models=_models(str(form.get("models", ""))), enabled=bool(form.get("enabled")),
            )  # fmt: skip

        return await self._change(change, "Key saved")

    @rx.event
    async def unpark(self, key_id: str):
        async def change(session: Any, context: Any) -> None:
            await provider_keys.unpark_key(
                session=session, tenant_id=None, key_id=uuid.UUID(key_id), actor_user_id=context.user_id
            )

        return await self._change(change, "Key back in rotation")

    @rx.event
    async def delete(self, key_id: str):
        async def change(session: Any, context: Any) -> None:
            await provider_keys.delete_key(
                session=session, tenant_id=None, key_id=uuid.UUID(key_id), actor_user_id=context.user_id
            )

        return await self._change(change, "Key deleted")
