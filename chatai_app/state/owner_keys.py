"""/keys: a workspace owner's own AI provider keys (issue 14). The role rule is the API's `KeysOwner`
(`Permission.provider_keys`); every handler re-checks it through `signed_in`."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import reflex as rx

from chatai_app.db import session_scope
from chatai_app.services import provider_keys
from chatai_app.services.errors import (
    AuthenticationRequired,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from chatai_app.services.permissions import Permission
from chatai_app.state.admin_keys import _ints, _models, _row
from chatai_app.state.session import SessionState, signed_in


def over_limit(key: provider_keys.ProviderKeyOut) -> bool:
    """Display only: today's requests or tokens, or this month's tokens, reached the key's limit."""
    tokens = key.today.get("prompt_tokens", 0) + key.today.get("completion_tokens", 0)
    used = ((key.daily_request_limit, key.today.get("requests", 0)), (key.daily_token_limit, tokens),
            (key.monthly_token_limit, key.month_tokens))  # fmt: skip
    return any(limit is not None and value >= limit for limit, value in used)


def _state(key: provider_keys.ProviderKeyOut) -> str:
    return "over_limit" if key.state == "healthy" and over_limit(key) else key.state


def row(key: provider_keys.ProviderKeyOut) -> dict[str, str]:
    """The admin page's row (the parked reason in both languages), with the state as the owner sees it."""
    return {
        **_row(key),
        "state": _state(key),
    }


class OwnerKeysState(rx.State):
    required_permission: ClassVar[Permission] = Permission.provider_keys
    keys: list[dict[str, str]] = []
    denied: str = ""
    loaded: bool = False

    async def _guarded(self, work: Any) -> Any:
        session_state = await self.get_state(SessionState)
        try:
            _, context = await signed_in(self)
            async with session_scope() as session:
                return await work(session, context, session_state)
        except AuthenticationRequired:
            return rx.redirect("/login")
        except PermissionDenied as exc:
            self.denied, self.keys = session_state.message(exc), []
        except ValidationFailed as exc:
            return rx.toast.error("; ".join(session_state.field_messages(exc).values()))
        except DomainError as exc:
            return rx.toast.error(session_state.message(exc))
        return None

    async def _reload(self, session: Any, tenant_id: uuid.UUID) -> None:
        self.keys = [row(k) for k in await provider_keys.list_keys(session=session, tenant_id=tenant_id)]
        self.loaded = True

    @rx.event
    async def load(self):
        self.denied = ""

        async def work(session: Any, context: Any, _: SessionState) -> None:
            await self._reload(session, context.tenant_id)

        return await self._guarded(work)

    async def _change(self, change: Any, done: str) -> Any:
        async def run(session: Any, context: Any, session_state: SessionState) -> str:
            await change(session, context)
            await session.flush()
            await self._reload(session, context.tenant_id)
            return session_state.message(done)

        result = await self._guarded(run)
        return rx.toast.success(result) if isinstance(result, str) else result

    @rx.event
    async def add_key(self, form: dict[str, Any]):
        async def change(session: Any, context: Any) -> None:
            numbers = _ints(form)
            priority = numbers.pop("priority")
            await provider_keys.add_key(
                session=session, tenant_id=context.tenant_id, actor_user_id=context.user_id,
                api_key=str(form.get("api_key", "")), base_url=str(form.get("base_url", "")).strip(),
                provider=str(form.get("provider", "") or "openai").strip(), models=_models(str(form.get("models", ""))),
                priority=100 if priority is None else priority, **numbers,  # type: ignore[arg-type]
            )  # fmt: skip

        return await self._change(change, "Key added")

    @rx.event
    async def set_enabled(self, key_id: str, enabled: bool):
        async def change(session: Any, context: Any) -> None:
            keys = await provider_keys.list_keys(session=session, tenant_id=context.tenant_id)
            key = next((k for k in keys if str(k.id) == key_id), None)
            if key is None:
                raise NotFound("Key not found")
            await provider_keys.update_key(
                session=session, tenant_id=context.tenant_id, key_id=key.id, actor_user_id=context.user_id,
                priority=key.priority, limits={name: getattr(key, name) for name in provider_keys.LIMITS},
                enabled=bool(enabled),
            )  # fmt: skip

        return await self._change(change, "Key switched on" if enabled else "Key switched off")

    @rx.event
    async def unpark(self, key_id: str):
        async def change(session: Any, context: Any) -> None:
            await provider_keys.unpark_key(
                session=session, tenant_id=context.tenant_id, key_id=uuid.UUID(key_id), actor_user_id=context.user_id
            )

        return await self._change(change, "Key back in rotation")

    @rx.event
    async def delete(self, key_id: str):
        async def change(session: Any, context: Any) -> None:
            await provider_keys.delete_key(
                session=session, tenant_id=context.tenant_id, key_id=uuid.UUID(key_id), actor_user_id=context.user_id
            )

        return await self._change(change, "Key deleted")
