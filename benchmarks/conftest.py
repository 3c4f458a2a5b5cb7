"""Benchmarks reuse the test fixtures (real embedded PostgreSQL)."""

from tests.conftest import _dispose_engines_at_end, clean_db, database_url, session  # noqa: F401
