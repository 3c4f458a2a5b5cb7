"""The frontend toolchain: bun from the npm registry, so Reflex never downloads anything itself."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

BUN_VERSION = "1.4.4"


def tools_dir() -> Path:
    return Path(sys.prefix) / "share" / "chatai-tools"


def bun_path() -> Path:
    return tools_dir() / "node_modules" / ".bin" / "bun"


def ensure_bun() -> Path:
    """Install bun (a registry package with a prebuilt binary) into the environment once."""
    if bun_path().exists():
        return bun_path()
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm (Node.js) is needed once to install the frontend toolchain; install Node.js 20+")
    tools_dir().mkdir(parents=True, exist_ok=True)
    # bun's postinstall puts the native binary in place; newer npm asks for install scripts to be allowed.
    manifest = tools_dir() / "package.json"
    if not manifest.exists():
        manifest.write_text('{"private": true, "allowScripts": {"bun": true}}\n')
    print(f"installing the frontend toolchain (bun {BUN_VERSION}) from the npm registry ...", file=sys.stderr)
    subprocess.run(
        [npm, "install", "--no-save", "--no-audit", "--no-fund", "--loglevel=warn", "--prefix", str(tools_dir()),
         f"bun@{BUN_VERSION}"],
        check=True,
    )  # fmt: skip
    return bun_path()


def apply_frontend_env(environ: os._Environ[str] | dict[str, str] = os.environ) -> None:
    """Point Reflex at our bun and keep it off the network for toolchain downloads."""
    if bun_path().exists():
        environ["PATH"] = f"{bun_path().parent}{os.pathsep}{environ.get('PATH', '')}"
        environ.setdefault("REFLEX_USE_SYSTEM_BUN", "1")
        environ.setdefault("REFLEX_USE_NPM", "0")
    environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")


# Reflex's advice that does not apply to ChatAI, by logger: the Node.js upgrade (bun runs the build, see
# quiet_reflex_advice) and, on the first start, "Run `uv run reflex run` to start the app" (`chatai run` does).
_MISLEADING = {
    "reflex.utils.js_runtimes": "of Node.js is out of date",
    "reflex.reflex": "Run `uv run reflex run`",
}


class _DropRecord(logging.Filter):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self.text not in record.getMessage()


def quiet_reflex_advice() -> None:
    """Keep Reflex from telling the user to do what ChatAI does not need (rxconfig.py calls this).

    Reflex compares the system Node.js with its minimum (22.22); when it is older, Reflex runs the
    frontend build in bun's own runtime (`bun --bun`) instead, which works, but it says so on every
    start with a warning to upgrade Node.js. With our bun in place that advice is wrong (Node.js is
    needed once, for npm to fetch bun). The Reflex process drops just these records.
    """
    for name, text in _MISLEADING.items():
        if name == "reflex.utils.js_runtimes" and not bun_path().exists():
            continue  # without our bun, the Node.js version does matter
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropRecord) and f.text == text for f in logger.filters):
            logger.addFilter(_DropRecord(text))
