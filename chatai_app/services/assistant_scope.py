"""Which assistants' dialogs a member works on (issue 14): an operator assigned to some assistants sees, takes
and answers only their dialogs; everyone else sees the whole workspace. A dialog outside the scope is "not
found" (its existence is not confirmed)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from chatai_app.models import Dialog
from chatai_app.services.errors import NotFound

AssistantScope = frozenset[uuid.UUID] | None  # None: every assistant of the workspace


def of_membership(role: str, assistant_ids: list[uuid.UUID] | None) -> AssistantScope:
    """Only operators are ever restricted; NULL is every assistant."""
    return frozenset(assistant_ids) if role == "operator" and assistant_ids is not None else None


def dialog_condition(scope: AssistantScope) -> sa.ColumnElement[bool]:
    """A WHERE condition on `Dialog` for the scope."""
    if scope is None:
        return sa.true()
    return Dialog.assistant_id.in_(sorted(scope)) if scope else sa.false()


def check_dialog(dialog: Dialog, scope: AssistantScope) -> None:
    if scope is not None and dialog.assistant_id not in scope:
        raise NotFound("Dialog not found")
