"""The shipped topology (deploy/) runs exactly the roles `chatai run --role` knows, with real settings."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from pathlib import Path

import yaml

from chatai_app.runner import ROLES
from chatai_app.settings import Settings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
OTHER_VARIABLES = {"GRANIAN_WORKERS"}  # read by the web server Reflex starts, not by our settings


def _setting_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        names.add((field.alias or name).upper())
    return names


def test_procfile_systemd_and_compose_run_the_same_roles() -> None:
    procfile = dict(line.split(": ", 1) for line in (DEPLOY / "Procfile").read_text().splitlines()
                    if line and not line.startswith("#"))  # fmt: skip
    assert procfile == {role: f"chatai run --role {role}" for role in ROLES}

    for role in ROLES:
        unit = configparser.ConfigParser(interpolation=None)
        unit.read(DEPLOY / "systemd" / f"chatai-{role}.service")
        assert unit["Service"]["ExecStart"].endswith(f"chatai run --role {role}")
        assert unit["Service"]["EnvironmentFile"] == "/etc/chatai/chatai.env"
        assert unit["Service"]["Restart"] == "always"

    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    roles = {svc["command"][-1] for svc in compose["services"].values() if "--role" in svc.get("command", [])}
    assert roles == set(ROLES)
    nodes = [svc for svc in compose["services"].values() if "--role" in svc.get("command", [])]
    assert all(svc["env_file"] == "chatai.env" and "REDIS_URL" in svc["environment"] for svc in nodes)
    assert "pgvector" in compose["services"]["db"]["image"]


def test_the_example_environment_names_only_real_settings() -> None:
    example = [line.split("=", 1)[0] for line in (DEPLOY / "chatai.env.example").read_text().splitlines()
               if line and not line.startswith("#")]  # fmt: skip
    unknown = set(example) - _setting_names() - OTHER_VARIABLES
    assert not unknown, unknown
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ENVIRONMENT", "PUBLIC_URL"} <= set(example)
    production = {k: v for k, v in (line.split("=", 1) for line in (DEPLOY / "chatai.env.example").read_text()
                                    .splitlines() if line and not line.startswith("#"))}  # fmt: skip
    assert Settings(**{k: v for k, v in production.items() if k in ("SECRET_KEY",)}, environment="production")


def test_a_role_needs_an_external_database(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    done = subprocess.run([sys.executable, "-m", "chatai_app.cli", "--data-dir", str(tmp_path), "run", "--role",
                           "worker"], env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2 and "needs DATABASE_URL" in done.stderr
