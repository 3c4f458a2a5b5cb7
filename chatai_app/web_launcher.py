"""The web child of `chatai run`: Reflex in production mode on one port, without rebuilding an unchanged frontend.

`reflex run --env prod` compiles the pages and rebuilds the frontend bundle on every start (~30 s on 2 cores).
The bundle depends only on the console's sources (pages, components, states, catalogues), its assets, Reflex's
version and the URL it is served at, so a fingerprint of those is kept beside the build, with the hash of the
state tree the bundle was compiled for. When both match, the compile and build steps are skipped and the
backend serves the bundle already on disk; the backend itself starts exactly as after a build (Reflex's prod
backend never compiles: its workers evaluate pages with the compile step skipped in either case).

The state-tree hash is Reflex's own (`State._to_frontend_schema`, the one each socket connect is checked
against): a changed var or event handler that the file fingerprint missed still rebuilds.

    python -m chatai_app.web_launcher --port 3000
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the project (not chatai_app.migrations: alembic is not needed here)

FINGERPRINT_FILE = "chatai_build_fingerprint.json"
SOURCES = ("chatai_app", "assets")
# What never reaches the browser bundle: the domain, the HTTP API, tables, data files, the process tooling.
BACKEND_ONLY = {
    "chatai_app/services", "chatai_app/api", "chatai_app/models", "chatai_app/data", "chatai_app/static",
    "chatai_app/cli.py",
    "chatai_app/cli_knowledge.py", "chatai_app/db.py", "chatai_app/embedded_pg.py", "chatai_app/migrations.py",
    "chatai_app/outages.py", "chatai_app/runner.py", "chatai_app/supervision.py", "chatai_app/toolchain.py",
    "chatai_app/web_launcher.py", "chatai_app/web_workers.py", "chatai_app/worker.py",
}  # fmt: skip
BUILD_ENV = ("PUBLIC_URL", "CHATAI_PORT", "REFLEX_WEB_WORKDIR", "VITE_MINIFY", "REFLEX_NO_AUTOPREFIXER")


def web_dir() -> Path:
    return Path(os.environ.get("REFLEX_WEB_WORKDIR") or ROOT / ".web")


def _backend_only(path: Path) -> bool:
    relative = path.relative_to(ROOT).as_posix()
    return any(relative == skip or relative.startswith(skip + "/") for skip in BACKEND_ONLY)


def _frontend_files() -> list[Path]:
    files = [ROOT / "rxconfig.py"]
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*")):
            skipped = "__pycache__" in path.parts or path.name.endswith((".pyc", "~")) or _backend_only(path)
            if path.is_file() and not skipped:
                files.append(path)
    return files


def fingerprint() -> str:
    """What the frontend bundle is made from: the console's source and asset files, Reflex's version, the URL."""
    digest = hashlib.sha256(importlib.metadata.version("reflex").encode())
    for value in (os.environ.get(name, "") for name in BUILD_ENV):
        digest.update(b"\0" + value.encode())
    for path in _frontend_files():
        digest.update(b"\0" + path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def recorded_build() -> dict[str, str]:
    """The fingerprint and state-tree hash of the bundle on disk ({} when there is none, or it is unknown)."""
    marker = web_dir() / FINGERPRINT_FILE
    if not (web_dir() / "build" / "client").is_dir():
        return {}
    try:
        recorded = json.loads(marker.read_text())
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def state_schema() -> str:
    """Reflex's hash of the state tree, from the app module (imported here; granian's workers are forked from
    this process after it, so the import is not repeated)."""
    from reflex.constants import Env
    from reflex.utils import prerequisites
    from reflex_base.environment import environment

    environment.REFLEX_ENV_MODE.set(Env.PROD)  # as `reflex run --env prod` sets it before it imports the app
    app = prerequisites.get_app().app
    return app._state._to_frontend_schema() if app._state is not None else ""


def build_is_current(expected: str) -> bool:
    recorded = recorded_build()
    return bool(recorded) and recorded.get("fingerprint") == expected and recorded.get("schema") == state_schema()


def _skip_frontend_build() -> None:
    """Reflex's prod run without its compile and bundle steps (the bundle on disk is current)."""
    import reflex.reflex as reflex_cli
    from reflex.utils import build

    reflex_cli._compile_app = lambda *args, **kwargs: None  # type: ignore[assignment]
    build.setup_frontend_prod = lambda *args, **kwargs: None  # type: ignore[assignment]


def _remember_build(expected: str) -> None:
    """Record the fingerprint and the state tree's hash once Reflex has built the bundle."""
    from reflex.utils import build

    original = build.setup_frontend_prod

    def setup_and_remember(*args: object, **kwargs: object) -> None:
        original(*args, **kwargs)  # type: ignore[arg-type]
        record = {"fingerprint": expected, "schema": state_schema()}
        (web_dir() / FINGERPRINT_FILE).write_text(json.dumps(record))

    build.setup_frontend_prod = setup_and_remember  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    expected = fingerprint()
    if build_is_current(expected):
        print("frontend unchanged: serving the existing build", flush=True)
        _skip_frontend_build()
    else:
        (web_dir() / FINGERPRINT_FILE).unlink(missing_ok=True)
        _remember_build(expected)
    from reflex.reflex import cli

    port = str(args.port)
    cli(["run", "--env", "prod", "--single-port", "--frontend-port", port, "--backend-port", port])


if __name__ == "__main__":
    main()
