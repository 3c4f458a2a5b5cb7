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
    subprocess.run(
        [npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(tools_dir()), f"bun@{BUN_VERSION}"],
        check=True,
    )
    return bun_path()


def apply_frontend_env(environ: os._Environ[str] | dict[str, str] = os.environ) -> None:
    """Point Reflex at our bun and keep it off the network for toolchain downloads."""
    if bun_path().exists():
        environ["PATH"] = f"{bun_path().parent}{os.pathsep}{environ.get('PATH', '')}"
        environ.setdefault("REFLEX_USE_SYSTEM_BUN", "1")
        environ.setdefault("REFLEX_USE_NPM", "0")
    environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")


class _NodeVersionNotice(logging.Filter):
    """Drops Reflex's "Your version of Node.js is out of date" warning (see quiet_node_version_notice)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "of Node.js is out of date" not in record.getMessage()


def quiet_node_version_notice() -> None:
    """Keep Reflex from telling the user to upgrade Node.js when bun makes that unnecessary.

    Reflex compares the system Node.js with its minimum (22.22); when it is older, Reflex runs the
    frontend build in bun's own runtime (`bun --bun`) instead, which works, but it says so on every
    start with a warning to upgrade Node.js. With our bun in place that advice is wrong (Node.js is
    needed once, for npm to fetch bun), so the Reflex process (rxconfig.py calls this) drops just
    that record.
    """
    if bun_path().exists():
        logger = logging.getLogger("reflex.utils.js_runtimes")
        if not any(isinstance(f, _NodeVersionNotice) for f in logger.filters):
            logger.addFilter(_NodeVersionNotice())
