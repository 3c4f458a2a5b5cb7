"""Alembic from code: upgrade to head and check that a database is at head."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from chatai_app.db import sqlalchemy_url

ROOT = Path(__file__).resolve().parent.parent


# Indexes written by hand in migrations (expression HNSW per dimension, trigram) that
# the models do not describe; autogenerate must not propose dropping them.
HAND_WRITTEN_INDEX_MARKERS = ("_embedding_", "_trgm")


# Tables owned by libraries whose schema a migration installs (the procrastinate job queue).
LIBRARY_TABLE_PREFIXES = ("procrastinate_",)


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    if type_ == "table" and (name or "").startswith(LIBRARY_TABLE_PREFIXES):
        return False
    return not (type_ == "index" and reflected and any(m in (name or "") for m in HAND_WRITTEN_INDEX_MARKERS))


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


MIGRATION_LOCK = 7_410_001  # a PostgreSQL advisory lock id: one node migrates, the others wait, then find head


def upgrade_to_head(database_url: str) -> None:
    """Apply the migrations; safe when several nodes start at once against one database."""
    engine = sa.create_engine(sqlalchemy_url(database_url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as lock:
            lock.execute(sa.text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK})
            try:
                command.upgrade(alembic_config(database_url), "head")
            finally:
                lock.execute(sa.text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK})
    finally:
        engine.dispose()


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config("")).get_heads())


def current_revisions(connection: sa.Connection) -> set[str]:
    if not sa.inspect(connection).has_table("alembic_version"):
        return set()
    return {row[0] for row in connection.execute(sa.text("SELECT version_num FROM alembic_version"))}


def is_at_head(database_url: str) -> bool:
    engine = sa.create_engine(sqlalchemy_url(database_url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return current_revisions(connection) == head_revisions()
    finally:
        engine.dispose()
