"""Issue 14, the /keys and /admin/keys pages' display rules: the parked reason key_pool stores in English reads in
Russian (the fixed prefix from the catalogue, the provider's message verbatim), and a healthy key at a limit shows as
over the limit."""

from __future__ import annotations

import uuid
from dataclasses import replace

from chatai_app.services.provider_keys import ProviderKeyOut
from chatai_app.state.admin_keys import _row as admin_row
from chatai_app.state.admin_keys import parked_reason
from chatai_app.state.owner_keys import over_limit, row

REASON = "3 authentication failures in a row (HTTP 401): Incorrect API key provided: sk-…7f3a (invalid_api_key)"


def _key(**changes: object) -> ProviderKeyOut:
    key = ProviderKeyOut(uuid.uuid4(), "tenant", "openai", "", "sk-…7f3a", [], None, True)
    return replace(key, **changes)  # type: ignore[arg-type]


def test_parked_reason_keeps_the_provider_message_verbatim_in_russian() -> None:
    russian = parked_reason(REASON, "ru")
    assert russian.startswith("Ошибок авторизации подряд: 3 (HTTP 401)")
    assert russian.endswith(": Incorrect API key provided: sk-…7f3a (invalid_api_key)")
    assert parked_reason(REASON, "en") == REASON
    assert parked_reason("Parked by hand", "ru") == "Parked by hand"  # an unknown reason as stored
    assert parked_reason("", "ru") == ""


def test_over_a_limit_only_when_usage_reaches_one() -> None:
    assert not over_limit(_key(daily_request_limit=5, today={"requests": 4}))
    assert over_limit(_key(daily_request_limit=5, today={"requests": 5}))
    assert over_limit(_key(daily_token_limit=100, today={"prompt_tokens": 60, "completion_tokens": 40}))
    assert over_limit(_key(monthly_token_limit=1000, month_tokens=1000))
    assert not over_limit(_key(today={"requests": 10**6}, month_tokens=10**9))  # no limits


def test_row_states() -> None:
    assert row(_key(daily_request_limit=1, today={"requests": 1}))["state"] == "over_limit"
    assert row(_key(enabled=False, state="disabled", daily_request_limit=1, today={"requests": 1}))["state"] == (
        "disabled"
    )
    parked = row(_key(state="parked", parked_reason=REASON))
    assert (parked["state"], parked["parked_en"]) == ("parked", REASON)
    assert parked["parked_ru"].startswith("Ошибок авторизации")


def test_the_admin_pool_row_reads_the_parked_reason_in_both_languages() -> None:
    parked = admin_row(_key(state="parked", parked_reason=REASON))
    assert parked["parked_en"] == REASON
    assert parked["parked_ru"] == parked_reason(REASON, "ru") != REASON
