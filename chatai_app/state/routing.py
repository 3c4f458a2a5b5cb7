"""Ids taken from the current route (validated; ownership is checked by the services)."""

from __future__ import annotations

import uuid

from chatai_app.services.errors import NotFound


def id_after(path: str, segment: str) -> uuid.UUID:
    """The UUID that follows `segment` in a path like /assistants/<id>/playground."""
    parts = [p for p in path.split("/") if p]
    try:
        return uuid.UUID(parts[parts.index(segment) + 1])
    except (ValueError, IndexError) as exc:
        raise NotFound(f"{segment[:-1].capitalize()} not found") from exc
