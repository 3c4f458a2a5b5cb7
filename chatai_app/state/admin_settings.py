"""/admin/settings: prices and bonuses in roubles, plan limits, handoff defaults and feature flags, with the history of
changes (each with its previous value). Platform admins only; every handler re-checks the role."""

from __future__ import annotations

import json
from typing import Any

import reflex as rx

from chatai_app.services import plans, system_settings
from chatai_app.state.admin_console import _AdminBase
from chatai_app.state.session import SessionState

S = system_settings
RESOURCES = plans.RESOURCES  # the plan limits a page shows


def _shown(key: str, value: Any) -> str:
    """A stored value as the form shows it (roubles for money)."""
    if value is None:
        return "—"
    if key.endswith("_minor") and isinstance(value, int):
        return S.to_roubles(value) + " ₽"
    if key.endswith("_minor") and isinstance(value, list):
        return "; ".join(S.to_roubles(int(v)) for v in value) + " ₽"
    if key.endswith("_minor") and isinstance(value, dict):
        return ", ".join(f"{m}: {S.to_roubles(int(v))} ₽" for m, v in value.items()) or "—"
    if key.startswith("plan."):
        limits = ", ".join(f"{k} {v}" for k, v in sorted((value.get("limits") or {}).items()))
        return f"{S.to_roubles(int(value.get('monthly_price_minor', 0)))} ₽ / {limits or '∞'}"
    if isinstance(value, bool):
        return "on" if value else "off"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)


class AdminSettingsState(_AdminBase):
    values: dict[str, str] = {}  # setting key -> the form's text
    flags: dict[str, bool] = {}
    token_rows: list[dict[str, str]] = []  # model, price (₽)
    plans: list[dict[str, str]] = []
    history: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    revision: int = 0  # re-keys the inputs after a save so they show the stored values

    async def _refresh(self) -> Any:
        async def work(session: Any, context: Any, _: SessionState) -> None:
            current = await S.current(session=session)
            self.values = {}
            for key, value in current.items():
                if key in S.FLAGS:
                    continue
                if key in S.MONEY_KEYS:
                    self.values[key] = S.to_roubles(int(value))
                elif key == "billing.low_balance_thresholds_minor":
                    self.values[key] = "; ".join(S.to_roubles(int(v)) for v in value)
                elif key != "pricing.per_1k_tokens_minor":
                    self.values[key] = str(value)
            self.flags = {key: bool(current[key]) for key in S.FLAGS}
            rates = current["pricing.per_1k_tokens_minor"] or {}
            self.token_rows = [{"model": m, "price": S.to_roubles(int(v))} for m, v in rates.items()]
            self.token_rows.append({"model": "", "price": ""})
            self.plans = [
                {
                    "code": p.code,
                    "name": p.name,
                    "price": S.to_roubles(p.monthly_price_minor),
                    **{r: "" if p.limits.get(r) is None else str(p.limits[r]) for r in plans.RESOURCES},
                }
                for p in await plans.list_plans(session=session, public_only=False)
            ]
            self.history = [
                {"at": c.at, "actor": c.actor, "key": c.key, "previous": _shown(c.key, c.previous),
                 "value": _shown(c.key, c.value)}
                for c in await S.history(session=session, limit=30)
            ]  # fmt: skip
            self.revision += 1

        return await self._guarded(work)

    @rx.event
    async def load(self):
        self.denied, self.errors = "", {}
        return await self._refresh()

    @rx.event
    def set_choice(self, key: str, value: str) -> None:
        self.values[key] = value

    @rx.event
    def set_flag(self, key: str, value: bool) -> None:
        self.flags[key] = value

    @rx.event
    def add_token_row(self) -> None:
        self.token_rows.append({"model": "", "price": ""})

    @rx.event
    def remove_token_row(self, index: int) -> None:
        if 0 <= index < len(self.token_rows):
            self.token_rows.pop(index)

    async def _save(self, changes: dict[str, Any], errors: dict[str, str]) -> Any:
        session_state = await self.get_state(SessionState)
        self.errors = {k: session_state.message(v) for k, v in errors.items()}
        if errors:
            return rx.toast.error(session_state.message("Check the highlighted fields"))
        changed: list[str] = []

        async def work(session: Any, context: Any, state: SessionState) -> None:
            ip = state.client_info().ip
            changed.extend(await S.change(session=session, changes=changes, actor=context.user_id, ip=ip))

        result = await self._guarded(work)
        if result is not None or self.denied:
            return result
        await self._refresh()
        done = "Saved" if changed else "Nothing changed"
        return rx.toast.success(session_state.message(done))

    @rx.event
    async def save_pricing(self, form: dict[str, str]):
        rows = [
            (form.get(f"token-model-{i}", ""), form.get(f"token-price-{i}", "")) for i in range(len(self.token_rows))
        ]
        form = {**form, "billing.zero_balance_behaviour": self.values.get("billing.zero_balance_behaviour", "stop")}
        changes, errors = S.from_form(form, token_rows=rows)
        return await self._save(changes, errors)

    @rx.event
    async def save_handoff(self, form: dict[str, str]):
        keys = ("handoff.on_llm_failure", "handoff.on_timeout")
        form = {**form, **{k: self.values.get(k, "") for k in keys}}
        form["handoff.repeat_detection"] = "on" if self.flags.get("handoff.repeat_detection") else "off"
        return await self._save(*S.from_form(form))

    @rx.event
    async def save_features(self):
        changes = {k: v for k, v in self.flags.items() if k.startswith("features.")}
        return await self._save(changes, {})

    @rx.event
    async def save_plan(self, form: dict[str, str]):
        session_state = await self.get_state(SessionState)
        code = form.get("code", "")
        price = S.to_minor(form.get("price", ""))
        limits: dict[str, int | None] = {}
        errors = {}
        for resource in plans.RESOURCES:
            text = form.get(resource, "").strip().replace(" ", "")
            if not text:
                limits[resource] = None
            elif text.isdigit():
                limits[resource] = int(text)
            else:
                errors[f"{code}.{resource}"] = "A whole number, or empty for no limit"
        if price is None:
            errors[f"{code}.price"] = "Enter an amount in ₽, from 0 to 1 000 000"
        if errors:
            self.errors = {k: session_state.message(v) for k, v in errors.items()}
            return rx.toast.error(session_state.message("Check the highlighted fields"))
        changed: list[bool] = []

        async def work(session: Any, context: Any, state: SessionState) -> None:
            changed.append(
                await S.change_plan(
                    session=session, code=code, monthly_price_minor=price or 0, limits=limits,
                    actor=context.user_id, ip=state.client_info().ip,
                )
            )  # fmt: skip

        result = await self._guarded(work)
        if result is not None or self.denied:
            return result
        self.errors = {}
        await self._refresh()
        return rx.toast.success(session_state.message("Saved" if changed and changed[0] else "Nothing changed"))
