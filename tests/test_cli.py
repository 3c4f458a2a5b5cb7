"""The operator commands, run as a user would run them."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg


def _chatai(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=database_url)
    return subprocess.run(
        [sys.executable, "-m", "chatai_app.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_db_upgrade_is_idempotent(clean_db: str) -> None:
    result = _chatai(clean_db, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert "latest migration" in result.stdout


def test_admin_create_then_duplicate_is_a_clear_error(clean_db: str) -> None:
    created = _chatai(clean_db, "admin", "create", "--email", "ops@example.com", "--password", "ops password 1")
    assert created.returncode == 0, created.stderr
    with psycopg.connect(clean_db) as conn:
        role = conn.execute("SELECT platform_role FROM users WHERE email = 'ops@example.com'").fetchone()
    assert role == ("admin",)
    again = _chatai(clean_db, "admin", "create", "--email", "ops@example.com", "--password", "ops password 1")
    assert again.returncode == 1 and "already an admin" in again.stderr


def test_admin_create_validates_input(clean_db: str) -> None:
    result = _chatai(clean_db, "admin", "create", "--email", "not-an-email", "--password", "x")
    assert result.returncode == 1
    assert "email" in result.stderr and "password" in result.stderr
