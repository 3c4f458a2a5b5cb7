"""The frontend toolchain: bun from the npm registry, so Reflex never downloads anything itself."""

from __future__ import annotations

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
