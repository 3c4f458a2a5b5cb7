"""The web child of `chatai run`: Reflex in production mode on one port, without rebuilding an unchanged frontend.

`reflex run --env prod` compiles the pages and rebuilds the frontend bundle on every start (~10 s on 2 cores).
The bundle depends only on the app's sources, its assets, Reflex's version and the URL it is served at, so a
fingerprint of those is kept beside the build: when it matches, the compile and build steps are skipped and the
backend serves the bundle already on disk.

    python -m chatai_app.web_launcher --port 3000
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import os
from pathlib import Path

from chatai_app.migrations import ROOT

FINGERPRINT_FILE = "chatai_build_fingerprint"
SOURCES = ("chatai_app", "assets")
BUILD_ENV = ("PUBLIC_URL", "CHATAI_PORT", "REFLEX_WEB_WORKDIR", "VITE_MINIFY", "REFLEX_NO_AUTOPREFIXER")


def web_dir() -> Path:
    return Path(os.environ.get("REFLEX_WEB_WORKDIR") or ROOT / ".web")


def fingerprint() -> str:
    """What the frontend bundle is made from: source and asset files, rxconfig, Reflex's version, the URL."""
    digest = hashlib.sha256(importlib.metadata.version("reflex").encode())
    for value in (os.environ.get(name, "") for name in BUILD_ENV):
        digest.update(b"\0" + value.encode())
    files = [ROOT / "rxconfig.py", *(p for folder in SOURCES for p in sorted((ROOT / folder).rglob("*")))]
    for path in files:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def build_is_current(expected: str) -> bool:
    marker = web_dir() / FINGERPRINT_FILE
    built = web_dir() / "build" / "client"
    return built.is_dir() and marker.is_file() and marker.read_text().strip() == expected


def _skip_frontend_build() -> None:
    """Reflex's prod run without its compile and bundle steps (the bundle on disk is current)."""
    import reflex.reflex as reflex_cli
    from reflex.utils import build

    reflex_cli._compile_app = lambda *args, **kwargs: None  # type: ignore[assignment]
    build.setup_frontend_prod = lambda *args, **kwargs: None  # type: ignore[assignment]


def _remember_build(expected: str) -> None:
    """Record the fingerprint once Reflex has built the bundle."""
    from reflex.utils import build

    original = build.setup_frontend_prod

    def setup_and_remember(*args: object, **kwargs: object) -> None:
        original(*args, **kwargs)  # type: ignore[arg-type]
        (web_dir() / FINGERPRINT_FILE).write_text(expected)

    build.setup_frontend_prod = setup_and_remember  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
