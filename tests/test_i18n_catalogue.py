"""The EN/RU catalogue: every key in both languages, every server value the pages show has a label, money
errors read in roubles; the low-balance alert needs the balance to fall below a threshold (issue 13)."""

from __future__ import annotations

import ast
import inspect

from chatai_app import i18n
from chatai_app.i18n import UI, translate_message
from chatai_app.services.billing import crossed

SAME_IN_BOTH = {"app_name", "channel.telegram", "channel.api"}
FEATURE_CATALOGUES = {
    "i18n_security": "SECURITY",
    "i18n_answers": "ANSWERS",
    "i18n_provider_keys": "PROVIDER_KEYS",
    "i18n_monitoring": "MONITORING",
    "i18n_analytics": "ANALYTICS",
    "i18n_feedback": "FEEDBACK",
    "i18n_assignments": "ASSIGNMENTS",
    "i18n_owner_keys": "OWNER_KEYS",
}


def _core_keys(name: str) -> set[str]:
    """The keys i18n.py itself writes in its literal `name` dict (before the feature catalogues merge in)."""
    for node in ast.parse(inspect.getsource(i18n)).body:
        target = (
            node.target
            if isinstance(node, ast.AnnAssign)
            else (node.targets[0] if isinstance(node, ast.Assign) else None)
        )
        if isinstance(target, ast.Name) and target.id == name and isinstance(node.value, ast.Dict):
            return {ast.literal_eval(k) for k in node.value.keys if k is not None}
    raise AssertionError(name)


def test_every_key_has_english_and_russian() -> None:
    for key, strings in UI.items():
        assert strings.get("en") and strings.get("ru"), key
        assert key in SAME_IN_BOTH or strings["en"] != strings["ru"], key


def test_each_key_is_defined_in_one_catalogue_only() -> None:
    """A key in two catalogues is a silent clash: `setdefault` keeps the first and the other text is dead."""
    for suffix in ("UI", "MESSAGES_RU"):
        owners: dict[str, list[str]] = {key: ["i18n"] for key in _core_keys(suffix)}
        for module, prefix in FEATURE_CATALOGUES.items():
            for key in getattr(getattr(i18n, module), f"{prefix}_{suffix}"):
                owners.setdefault(key, []).append(module)
        assert {key: where for key, where in owners.items() if len(where) > 1} == {}, suffix


def test_every_value_the_console_shows_has_a_label() -> None:
    groups = {
        "tx": ["charge", "refund", "topup", "welcome_bonus", "promo", "adjustment"],
        "role": ["owner", "admin", "operator"],
        "dialog": ["ai", "waiting", "operator", "closed"],
        "doc": ["ready", "failed", "processing", "pending"],
        "tone": ["friendly", "formal", "concise", "playful", "neutral"],
        "position": ["left", "right"],
        "presence": ["online", "away", "offline"],
        "failure": ["apology", "handoff"],
        "plan": ["free", "pro", "business", "enterprise"],
        "limit": ["assistants", "bots", "documents", "messages_per_month"],
    }
    missing = [f"{g}.{v}" for g, values in groups.items() for v in values if f"{g}.{v}" not in UI]
    assert missing == []


def test_plan_price_error_names_the_plan_in_both_languages() -> None:
    message = "The balance (92.00 ₽) is below the Pro plan's monthly price (1990.00 ₽)"
    assert translate_message(message, "ru").startswith("Баланс (92.00 ₽) меньше месячной цены тарифа «Профи»")


def test_low_balance_alert_only_when_the_balance_falls_below() -> None:
    assert crossed(10000, 9900, [10000, 1000]) == []  # a new account's first reply: 100 -> 99
    assert crossed(10100, 9900, [10000, 1000]) == [10000]
    assert crossed(1500, 900, [10000, 1000]) == [1000]
