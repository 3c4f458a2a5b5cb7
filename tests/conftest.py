"""Shared fixtures: a real embedded PostgreSQL (pgvector) migrated to head, cleaned per test, and two workspaces
(`shop`, `rival`: an owner with one assistant each) for the tenancy checks of every area."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from chatai_app.db import dispose_engines, session_scope
from chatai_app.embedded_pg import start_embedded_postgres
from chatai_app.migrations import upgrade_to_head
from chatai_app.services import accounts, assistants
from chatai_app.settings import get_settings

# A key per test run: nothing is written into the project's ./var by the tests.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))

# Tables that hold reference data seeded by migrations; everything else is emptied per test.
SEEDED_TABLES = {"alembic_version", "plans", "system_settings"}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir: Path = tmp_path_factory.mktemp("chatai-data")
    url = start_embedded_postgres(data_dir, cleanup_mode="delete")
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    get_settings.cache_clear()
    upgrade_to_head(url)
    yield url


def _truncate_all(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            if row[0] not in SEEDED_TABLES
        ]
        conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


@pytest.fixture
def clean_db(database_url: str) -> str:
    _truncate_all(database_url)
    return database_url


@pytest.fixture
async def session(clean_db: str) -> AsyncIterator:
    async with session_scope() as db_session:
        yield db_session


@dataclass(frozen=True)
class Workspace:
    tenant_id: uuid.UUID
    assistant_id: uuid.UUID


async def make_workspace(email: str) -> Workspace:
    async with session_scope() as db_session:
        context = await accounts.sign_up(session=db_session, email=email, password="password 123")
        assistant = await assistants.create_assistant(session=db_session, tenant_id=context.tenant_id, name="Helper")
    return Workspace(context.tenant_id, assistant.id)


@pytest.fixture
async def shop(clean_db: str) -> Workspace:
    return await make_workspace("shop@example.com")


@pytest.fixture
async def rival(clean_db: str) -> Workspace:
    return await make_workspace("rival@example.com")


@pytest.fixture(scope="session", autouse=True)
async def _dispose_engines_at_end() -> AsyncIterator[None]:
    yield
    await dispose_engines()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: sync Playwright keeps its own event loop for the rest of the session."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
