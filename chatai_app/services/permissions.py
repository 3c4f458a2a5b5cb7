"""Who may do what: the one role matrix every API route and every console state checks.

Workspace roles: owner, admin, operator. Platform admins (a flag on the user) also hold `platform.admin`.
"""

from __future__ import annotations

from enum import StrEnum

from chatai_app.services.errors import PermissionDenied


class Permission(StrEnum):
    profile = "profile"  # one's own account: every member
    dialogs = "dialogs"  # inbox, dialogs, replies, handoff: every member
    assistants_read = "assistants.read"
    assistants_manage = "assistants.manage"  # assistants, knowledge, bots, widget, playground, chat API
    billing_read = "billing.read"
    billing_manage = "billing.manage"  # plan, top-ups, promo codes
    provider_keys = "provider_keys"  # the workspace's own LLM keys
    team_manage = "team.manage"  # invitations, roles, removing members (admins manage operators only)
    platform_admin = "platform.admin"


_MEMBER = {Permission.profile, Permission.dialogs}
_MANAGER = _MEMBER | {
    Permission.assistants_read, Permission.assistants_manage, Permission.billing_read, Permission.team_manage,
}  # fmt: skip
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "owner": frozenset(_MANAGER | {Permission.billing_manage, Permission.provider_keys}),
    "admin": frozenset(_MANAGER),
    "operator": frozenset(_MEMBER),
}
WHO_MAY = {
    Permission.assistants_read: "workspace owners and admins",
    Permission.assistants_manage: "workspace owners and admins",
    Permission.billing_read: "workspace owners and admins",
    Permission.billing_manage: "the workspace owner",
    Permission.provider_keys: "the workspace owner",
    Permission.team_manage: "workspace owners and admins",
    Permission.platform_admin: "platform admins",
}


def permissions_of(role: str, *, platform_admin: bool) -> frozenset[Permission]:
    granted = ROLE_PERMISSIONS.get(role, frozenset())
    return granted | {Permission.platform_admin} if platform_admin else granted


def allows(role: str, permission: Permission, *, platform_admin: bool = False) -> bool:
    return permission in permissions_of(role, platform_admin=platform_admin)


def require(context: object, permission: Permission) -> None:
    """Raise PermissionDenied unless the context's role (or platform role) grants `permission`."""
    role = str(getattr(context, "role", ""))
    if not allows(role, permission, platform_admin=bool(getattr(context, "is_admin", False))):
        raise PermissionDenied(f"Only {WHO_MAY.get(permission, 'members')} can do this")
