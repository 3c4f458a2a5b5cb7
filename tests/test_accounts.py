"""Accounts service on real PostgreSQL: sign-up, sign-in, profile, admins."""

from __future__ import annotations

import pytest
from sqlmodel import select

from chatai_app.models import Membership, Tenant, User
from chatai_app.services import accounts
from chatai_app.services.errors import Conflict, InvalidCredentials, PermissionDenied, ValidationFailed


async def _sign_up(session, email: str = "Owner@Example.com", password: str = "correct horse"):
    return await accounts.sign_up(
        session=session, email=email, password=password, full_name="Olga", workspace_name="Acme"
    )


async def test_sign_up_creates_user_tenant_and_owner_membership(session) -> None:
    context = await _sign_up(session)
    assert context.email == "owner@example.com" and context.role == "owner" and context.tenant_name == "Acme"
    user = (await session.exec(select(User))).one()
    assert user.password_hash.startswith("$argon2id$") and "correct horse" not in user.password_hash
    tenant = (await session.exec(select(Tenant))).one()
    membership = (await session.exec(select(Membership))).one()
    assert (membership.user_id, membership.tenant_id, membership.role) == (user.id, tenant.id, "owner")


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [("", "long-enough", "email"), ("not-an-email", "long-enough", "email"), ("a@b.co", "short", "password")],
)
async def test_sign_up_reports_each_bad_field(session, email: str, password: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await accounts.sign_up(session=session, email=email, password=password)
    assert field in caught.value.fields
    assert (await session.exec(select(User))).first() is None


async def test_signing_up_again_never_says_the_address_is_taken(session) -> None:
    first = await _sign_up(session)
    with pytest.raises(ValidationFailed) as caught:
        await _sign_up(session, email="OWNER@example.COM", password="another strong phrase 7")
    assert caught.value.fields["email"] == accounts.SIGN_UP_REFUSED and "exists" not in caught.value.message
    again = await _sign_up(session, email="OWNER@example.COM")  # one's own password: just signed in
    assert (again.user_id, again.tenant_id) == (first.user_id, first.tenant_id)
    assert len((await session.exec(select(User))).all()) == 1


@pytest.mark.parametrize("weak", ["password", "12345678", "        ", "qwertyuiop", "owner@example.com"])
async def test_weak_passwords_are_refused_with_the_reason(session, weak: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await _sign_up(session, password=weak)
    assert caught.value.fields["password"] == accounts.WEAK_PASSWORD


async def test_wrong_password_and_unknown_email_fail_the_same_way(session) -> None:
    await _sign_up(session)
    with pytest.raises(InvalidCredentials) as wrong_password:
        await accounts.authenticate(session=session, email="owner@example.com", password="wrong password")
    with pytest.raises(InvalidCredentials) as unknown_email:
        await accounts.authenticate(session=session, email="nobody@example.com", password="correct horse")
    assert str(wrong_password.value) == str(unknown_email.value) == "Invalid email or password"


async def test_authenticate_accepts_any_email_case(session) -> None:
    created = await _sign_up(session)
    context = await accounts.authenticate(session=session, email=" OWNER@example.com ", password="correct horse")
    assert context.user_id == created.user_id and context.tenant_id == created.tenant_id


async def test_profile_and_password_change(session) -> None:
    context = await _sign_up(session)
    await accounts.update_profile(session=session, user_id=context.user_id, full_name="Olga P.", locale="ru")
    with pytest.raises(ValidationFailed):
        await accounts.update_profile(session=session, user_id=context.user_id, full_name="x", locale="de")
    with pytest.raises(ValidationFailed) as caught:
        await accounts.change_password(session=session, user_id=context.user_id, current="nope", new="new password 1")
    assert "current_password" in caught.value.fields
    await accounts.change_password(
        session=session, user_id=context.user_id, current="correct horse", new="new password 1"
    )
    refreshed = await accounts.authenticate(session=session, email="owner@example.com", password="new password 1")
    assert (refreshed.full_name, refreshed.locale) == ("Olga P.", "ru")


async def test_create_admin_and_promote(session) -> None:
    assert not await accounts.admin_exists(session=session)
    admin = await accounts.create_admin(session=session, email="root@example.com", password="admin password")
    assert admin.is_admin and await accounts.admin_exists(session=session)
    with pytest.raises(Conflict):
        await accounts.create_admin(session=session, email="root@example.com", password="admin password")
    user = await _sign_up(session, email="later@example.com")
    promoted = await accounts.create_admin(session=session, email="later@example.com", password="ignored")
    assert promoted.user_id == user.user_id and promoted.is_admin


async def test_load_context_refuses_a_foreign_tenant(session) -> None:
    alice = await _sign_up(session, email="alice@example.com")
    bob = await _sign_up(session, email="bob@example.com")
    with pytest.raises(PermissionDenied):
        await accounts.load_context(session=session, user_id=alice.user_id, tenant_id=bob.tenant_id)
