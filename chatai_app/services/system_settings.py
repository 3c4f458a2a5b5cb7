"""System settings edited by platform admins in forms: prices and bonuses (entered in roubles, kept in kopecks),
the plans' limits, the handoff defaults new assistants start with, and feature flags. Every change writes one
audit row per setting with its previous and new value (`settings.changed`, `plan.changed`)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import AuditLog, Plan, SystemSetting, User
from chatai_app.models._base import utcnow
from chatai_app.services import handoff, plans
from chatai_app.services.errors import NotFound, PermissionDenied, ValidationFailed
from chatai_app.services.settings_store import DEFAULTS, _pricing_errors, get_setting

MONEY_KEYS = ("pricing.message_minor", "pricing.widget_message_minor", "billing.welcome_bonus_minor")
CHOICES = {
    "billing.zero_balance_behaviour": ("stop", "handoff"),
    "handoff.on_llm_failure": ("apology", "handoff"),
    "handoff.on_timeout": ("ai", "offline_form"),
}
NUMBERS = {"handoff.fallback_after": (0, 10), "handoff.wait_timeout_s": (30, 86400)}
FLAGS = ("handoff.repeat_detection", "features.signup_open", "features.website_import")
HANDOFF_KEYS = ("fallback_after", "repeat_detection", "on_llm_failure", "wait_timeout_s", "on_timeout")
KEYS = (
    *MONEY_KEYS, "billing.low_balance_thresholds_minor", "pricing.per_1k_tokens_minor", *CHOICES, *NUMBERS, *FLAGS,
)  # fmt: skip
MAX_MINOR = 100_000_000  # 1,000,000 ₽
FEATURE_OFF = {
    "features.signup_open": "New sign-ups are closed on this platform",
    "features.website_import": "Website import is turned off on this platform",
}


def default_of(key: str) -> Any:
    if key.startswith("handoff."):
        return handoff.DEFAULTS[key.removeprefix("handoff.")]
    return DEFAULTS.get(key, True if key.startswith("features.") else None)


async def value_of(*, session: AsyncSession, key: str) -> Any:
    value = await get_setting(session=session, key=key)
    return default_of(key) if value is None else value


async def current(*, session: AsyncSession) -> dict[str, Any]:
    stmt = select(SystemSetting).where(SystemSetting.key.in_(KEYS))  # type: ignore[attr-defined]
    rows = {r.key: r.value for r in (await session.exec(stmt)).all()}
    return {key: rows.get(key, default_of(key)) for key in KEYS}


async def feature_enabled(*, session: AsyncSession, name: str) -> bool:
    return bool(await value_of(session=session, key=name))


async def require_feature(*, session: AsyncSession, name: str) -> None:
    if not await feature_enabled(session=session, name=name):
        raise PermissionDenied(FEATURE_OFF[name])


async def handoff_defaults(*, session: AsyncSession) -> dict[str, Any]:
    """The platform's handoff defaults where they differ from the built-in ones (a new assistant starts with them)."""
    keys = [f"handoff.{k}" for k in HANDOFF_KEYS]
    rows = (await session.exec(select(SystemSetting).where(SystemSetting.key.in_(keys)))).all()  # type: ignore[attr-defined]
    values = {r.key.removeprefix("handoff."): r.value for r in rows}
    return {k: v for k, v in values.items() if v != handoff.DEFAULTS[k]}


def _errors(changes: dict[str, Any]) -> dict[str, str]:
    errors = _pricing_errors({k: v for k, v in changes.items() if k.startswith(("pricing.", "billing."))})
    for key, value in changes.items():
        if key not in KEYS:
            errors[key] = "not a system setting"
        elif key in CHOICES and value not in CHOICES[key]:
            errors[key] = " or ".join(CHOICES[key])
        elif key in NUMBERS and not (
            isinstance(value, int) and not isinstance(value, bool) and NUMBERS[key][0] <= value <= NUMBERS[key][1]
        ):
            errors[key] = f"a whole number from {NUMBERS[key][0]} to {NUMBERS[key][1]}"
        elif key in FLAGS and not isinstance(value, bool):
            errors[key] = "on or off"
    return errors


async def change(*, session: AsyncSession, changes: dict[str, Any], actor: uuid.UUID | None, ip: str = "") -> list[str]:
    """Validate and apply; one audit row per setting whose value changed (with the previous value). Returns the
    changed keys (none when every value is the same as before)."""
    if errors := _errors(changes):
        raise ValidationFailed(errors)
    changed = []
    for key, value in changes.items():
        row = await session.get(SystemSetting, key)
        previous = row.value if row is not None else default_of(key)
        if previous == value:
            continue
        if row is None:
            row = SystemSetting(key=key, value=value)
        row.value, row.updated_by_id = value, actor
        row.updated_at = utcnow()
        session.add(row)
        meta = {"key": key, "previous": previous, "value": value}
        session.add(AuditLog(actor_user_id=actor, action="settings.changed", target_type="settings",
                             target_id=key[:64], ip=ip[:64], meta=meta))  # fmt: skip
        changed.append(key)
    return changed


PLAN_LIMITS = plans.RESOURCES


async def change_plan(
    *,
    session: AsyncSession,
    code: str,
    monthly_price_minor: int,
    limits: dict[str, int | None],
    actor: uuid.UUID | None,
    ip: str = "",
) -> bool:
    """A plan's monthly price and limits (None: unlimited); audited with the previous values. False: no change."""
    plan = await session.get(Plan, code, with_for_update=True)
    if plan is None:
        raise NotFound(f"Plan {code} not found")
    errors = {}
    if not 0 <= monthly_price_minor <= MAX_MINOR:
        errors["monthly_price"] = "a price from 0 to 1 000 000 ₽"
    for resource, limit in limits.items():
        if resource not in PLAN_LIMITS:
            errors[resource] = "not a plan limit"
        elif limit is not None and not 0 <= limit <= 10_000_000:
            errors[resource] = "a whole number from 0 to 10 000 000, or empty for no limit"
    if errors:
        raise ValidationFailed(errors)
    new_limits = {k: v for k, v in {**plan.limits, **limits}.items() if v is not None}
    previous = {"monthly_price_minor": plan.monthly_price_minor, "limits": dict(plan.limits)}
    value = {"monthly_price_minor": monthly_price_minor, "limits": new_limits}
    if previous == value:
        return False
    plan.monthly_price_minor, plan.limits = monthly_price_minor, new_limits
    session.add(plan)
    session.add(AuditLog(actor_user_id=actor, action="plan.changed", target_type="plan", target_id=code, ip=ip[:64],
                         meta={"key": f"plan.{code}", "previous": previous, "value": value}))  # fmt: skip
    return True


@dataclass(frozen=True)
class Change:
    at: str
    actor: str
    key: str
    previous: Any
    value: Any


async def history(*, session: AsyncSession, limit: int = 50) -> list[Change]:
    """The latest settings and plan changes, newest first (older pricing changes without a previous value too)."""
    stmt = (
        select(AuditLog, User.email)
        .join(User, User.id == AuditLog.actor_user_id, isouter=True)  # type: ignore[arg-type]
        .where(AuditLog.action.in_(("settings.changed", "plan.changed", "pricing.changed")))  # type: ignore[attr-defined]
        .order_by(AuditLog.id.desc())  # type: ignore[union-attr]
        .limit(min(max(limit, 1), 500))
    )
    found = []
    for row, email in (await session.exec(stmt)).all():
        at = f"{row.created_at:%Y-%m-%d %H:%M}"
        if row.action == "pricing.changed":  # before the settings page: the new values only
            found += [Change(at, email or "", k, None, v) for k, v in row.meta.items()]
        else:
            found.append(Change(at, email or "", str(row.meta.get("key", row.target_id)), row.meta.get("previous"),
                                row.meta.get("value")))  # fmt: skip
    return found[:limit]


# Forms: amounts are entered in roubles ("1 500", "99,90", "12.5 ₽") and kept in kopecks.
_MONEY = re.compile(r"^\d{1,9}(?:[.,]\d{1,2})?$")


def to_minor(text: str) -> int | None:
    cleaned = (text or "").replace("₽", "").replace("\u00a0", "").replace(" ", "").strip()
    if not _MONEY.match(cleaned):
        return None
    whole, _, part = cleaned.replace(",", ".").partition(".")
    return int(whole) * 100 + int((part + "00")[:2])


def to_roubles(minor: int) -> str:
    return str(minor // 100) if minor % 100 == 0 else f"{minor // 100}.{minor % 100:02d}"


def from_form(form: dict[str, str], token_rows: list[tuple[str, str]] | None = None) -> tuple[dict[str, Any], dict]:
    """The settings form (text inputs, switches as "on"/"off") -> changes in stored units, and field errors."""
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key in MONEY_KEYS:
        if key in form:
            value = to_minor(form[key])
            if value is None or value > MAX_MINOR:
                errors[key] = "Enter an amount in ₽, from 0 to 1 000 000"
            else:
                changes[key] = value
    if "billing.low_balance_thresholds_minor" in form:
        parts = [p for p in re.split(r"[;\n]|,\s", form["billing.low_balance_thresholds_minor"]) if p.strip()]
        values = [to_minor(p) for p in parts]
        if len(values) > 5 or any(v is None or v > MAX_MINOR for v in values):
            errors["billing.low_balance_thresholds_minor"] = "Up to 5 amounts in ₽, separated by semicolons"
        else:
            changes["billing.low_balance_thresholds_minor"] = sorted((v for v in values if v is not None), reverse=True)
    if token_rows is not None:
        rates: dict[str, int] = {}
        for model, price in token_rows:
            if not model.strip() and not price.strip():
                continue
            value = to_minor(price)
            if not model.strip() or len(model.strip()) > 120 or value is None or value > MAX_MINOR:
                errors["pricing.per_1k_tokens_minor"] = "Each row: a model name and a price in ₽ per 1,000 tokens"
                break
            rates[model.strip()] = value
        changes["pricing.per_1k_tokens_minor"] = rates
    for key in CHOICES:
        if key in form:
            changes[key] = form[key]
    for key in NUMBERS:
        if key in form:
            text = form[key].strip()
            changes[key] = int(text) if text.lstrip("-").isdigit() else text
    for key in FLAGS:
        if key in form:
            changes[key] = form[key] in ("on", "true", "1", "yes")
    return changes, errors
