"""Password reset, two-factor sign-in, recovery codes, the admin policy and the session list (issue 14, items 3-4)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pyotp
import sqlalchemy as sa
from sqlmodel import select

from chatai_app.db import session_scope
from chatai_app.models import AccountToken, User
from chatai_app.services import accounts
from tests.team.conftest import Inbox, delivered, log_in, sign_up

EMAIL, PASSWORD = "owner@example.com", "correct horse battery 1"


async def test_password_reset_link_is_single_use_expires_and_ends_every_session(
    api: httpx.AsyncClient, smtp: Inbox
) -> None:
    headers = await sign_up(api, EMAIL, locale="ru")
    other = await log_in(api, EMAIL)
    for address in (EMAIL, "nobody@example.com"):  # the same answer for an unknown address
        asked = await api.post("/api/v1/auth/password-reset", json={"email": address})
        assert asked.status_code == 202
    await delivered()
    [reset] = [m for m in smtp.to(EMAIL) if m["X-ChatAI-Kind"] == "password_reset"]
    assert reset["Subject"] == "Сброс пароля ChatAI" and "30 минут" in reset.get_body(("plain",)).get_content()
    assert smtp.to("nobody@example.com") == []
    token = smtp.last_link(EMAIL, "/reset-password")

    weak = await api.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "password"})
    assert weak.status_code == 422
    done = await api.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "new pass phrase 42"}
    )
    assert done.status_code == 204
    for old in (headers, other):
        assert (await api.get("/api/v1/auth/me", headers=old)).status_code == 401
    again = await api.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "another one 42 x"})
    assert again.status_code == 400
    assert (await api.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})).status_code == 401
    await log_in(api, EMAIL, "new pass phrase 42")

    # an expired link is refused even though it is genuine
    await api.post("/api/v1/auth/password-reset", json={"email": EMAIL})
    await delivered()
    late = smtp.last_link(EMAIL, "/reset-password")
    async with session_scope() as session:
        await session.exec(sa.update(AccountToken).values(expires_at=sa.func.now() - sa.text("interval '1 minute'")))
    expired = await api.post("/api/v1/auth/password-reset/confirm", json={"token": late, "password": "third pass 42 z"})
    assert expired.status_code == 400 and expired.json()["error"] == "link_invalid"


async def _enable_2fa(api: httpx.AsyncClient, headers: dict[str, str]) -> tuple[pyotp.TOTP, list[str]]:
    setup = (await api.post("/api/v1/auth/me/2fa/setup", headers=headers)).json()
    assert setup["qr_svg_data_uri"].startswith("data:image/svg+xml") and "secret=" in setup["otpauth_uri"]
    totp = pyotp.TOTP(setup["secret"])
    wrong = await api.post("/api/v1/auth/me/2fa/enable", json={"code": "000000"}, headers=headers)
    assert wrong.status_code == 422
    enabled = await api.post("/api/v1/auth/me/2fa/enable", json={"code": totp.now()}, headers=headers)
    assert enabled.status_code == 200, enabled.text
    codes = enabled.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    return totp, codes


async def _wait_next_step(totp: pyotp.TOTP) -> None:
    await asyncio.sleep(totp.interval - time.time() % totp.interval + 0.05)


async def test_totp_sign_in_with_codes_recovery_codes_and_no_replay(api: httpx.AsyncClient) -> None:
    headers = await sign_up(api, EMAIL)
    totp, codes = await _enable_2fa(api, headers)
    assert (await api.get("/api/v1/auth/me/2fa", headers=headers)).json() == {
        "enabled": True,
        "recovery_codes_left": 10,
        "required": False,
    }

    first = await api.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert first.status_code == 401 and first.json()["error"] == "two_factor_required"
    challenge = first.json()["challenge"]
    bad = await api.post("/api/v1/auth/login/2fa", json={"challenge": challenge, "code": "123456"})
    assert bad.status_code == 422
    # the code used to enable is spent: wait for the next one
    await _wait_next_step(totp)
    code = totp.now()
    ok = await api.post("/api/v1/auth/login/2fa", json={"challenge": challenge, "code": code})
    assert ok.status_code == 200 and ok.json()["access_token"]
    replay = await api.post("/api/v1/auth/login/2fa", json={"challenge": challenge, "code": code})
    assert replay.status_code == 422  # a code works once

    forged = challenge[:-2] + ("xx" if not challenge.endswith("xx") else "yy")
    assert (await api.post("/api/v1/auth/login/2fa", json={"challenge": forged, "code": code})).status_code == 400

    recovery = await api.post("/api/v1/auth/login/2fa", json={"challenge": challenge, "code": codes[0].lower()})
    assert recovery.status_code == 200
    assert (
        await api.post("/api/v1/auth/login/2fa", json={"challenge": challenge, "code": codes[0]})
    ).status_code == 422
    assert (await api.get("/api/v1/auth/me/2fa", headers=headers)).json()["recovery_codes_left"] == 9

    no_password = await api.post(
        "/api/v1/auth/me/2fa/disable", json={"password": "x", "code": codes[1]}, headers=headers
    )
    assert no_password.status_code == 422
    off = await api.post("/api/v1/auth/me/2fa/disable", json={"password": PASSWORD, "code": codes[1]}, headers=headers)
    assert off.status_code == 204
    await log_in(api, EMAIL)


async def test_platform_admins_must_use_two_factor_once_the_policy_is_on(api: httpx.AsyncClient) -> None:
    async with session_scope() as session:
        await accounts.create_admin(session=session, email="root@example.com", password=PASSWORD)
    admin = await log_in(api, "root@example.com")
    refused = await api.put("/api/v1/admin/security", json={"admin_2fa_required": True}, headers=admin)
    assert refused.status_code == 403 and "your own account first" in refused.json()["message"]
    _, codes = await _enable_2fa(api, admin)
    assert (
        await api.put("/api/v1/admin/security", json={"admin_2fa_required": True}, headers=admin)
    ).status_code == 200
    keep = await api.post("/api/v1/auth/me/2fa/disable", json={"password": PASSWORD, "code": codes[0]}, headers=admin)
    assert keep.status_code == 403

    # a second platform admin without two-factor keeps their account but loses admin powers until they turn it on
    async with session_scope() as session:
        await accounts.create_admin(session=session, email="second@example.com", password=PASSWORD)
    second = await log_in(api, "second@example.com")
    assert (await api.get("/api/v1/admin/users", headers=second)).status_code == 403
    await _enable_2fa(api, second)
    login = await api.post("/api/v1/auth/login", json={"email": "second@example.com", "password": PASSWORD})
    assert login.json()["error"] == "two_factor_required"
    assert (await api.get("/api/v1/admin/users", headers=second)).status_code == 200


async def test_session_list_and_sign_out_everywhere_else(api: httpx.AsyncClient) -> None:
    first = await sign_up(api, EMAIL)
    second = await log_in(api, EMAIL)
    third = await log_in(api, EMAIL)
    listed = (await api.get("/api/v1/auth/me/sessions", headers=second)).json()
    assert len(listed) == 3 and sum(s["current"] for s in listed) == 1
    one = next(s for s in listed if not s["current"])
    assert (await api.delete(f"/api/v1/auth/me/sessions/{one['id']}", headers=second)).status_code == 204
    ended = await api.post("/api/v1/auth/me/sessions/revoke-all", headers=second)
    assert ended.json() == {"sessions_ended": 1}
    assert (await api.get("/api/v1/auth/me", headers=second)).status_code == 200
    assert [(await api.get("/api/v1/auth/me", headers=h)).status_code for h in (first, third)] == [401, 401]
    async with session_scope() as session:
        other = await sign_up(api, "other@example.com")
        assert other
        user = (await session.exec(select(User).where(User.email == "other@example.com"))).one()
    foreign = await api.get("/api/v1/auth/me/sessions", headers=second)
    assert all(s["tenant_id"] != str(user.id) for s in foreign.json())
