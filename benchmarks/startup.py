"""Cold start, warm restart and memory of `chatai run`.

    python -m benchmarks.startup [--fresh-frontend]

Cold: a new data directory (initdb, migrations, first admin) and, with --fresh-frontend,
no `.web` build either (as on a fresh clone). Warm: the same data directory again.
Prints JSON: seconds to the first page served and RSS of every process of the run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

from tests.browser.conftest import ROOT, RunningApp, _free_port


def _rss_mib(pid: int) -> dict[str, float]:
    root = psutil.Process(pid)
    by_name: dict[str, float] = {}
    for proc in [root, *root.children(recursive=True)]:
        try:
            name = " ".join(proc.cmdline()[:3])[-60:] or proc.name()
            by_name[name] = by_name.get(name, 0) + proc.memory_info().rss / 2**20
        except psutil.NoSuchProcess:
            continue
    return by_name


def _postgres_rss_mib(data_dir: Path) -> float:
    """The postmaster started on `data_dir` plus its backends and workers."""
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if "postgres" in cmdline and f"-D {data_dir}" in cmdline:
            family = [proc, *proc.children(recursive=True)]
            return sum(p.memory_info().rss for p in family if p.is_running()) / 2**20
    return 0.0


def _first_page_s(app: RunningApp) -> float:
    started = time.monotonic()
    urllib.request.urlopen(f"{app.url}/login/", timeout=10).read()
    return time.monotonic() - started


def memory(app: RunningApp) -> dict[str, object]:
    """RSS of every process of a running app, and of its embedded PostgreSQL."""
    assert app.process is not None
    rss = _rss_mib(app.process.pid)
    postgres = _postgres_rss_mib(app.data_dir)
    return {
        "rss_mib": {k: round(v, 1) for k, v in rss.items()} | {"embedded postgres (all)": round(postgres, 1)},
        "rss_total_mib": round(sum(rss.values()) + postgres, 1),
    }


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fresh-frontend", action="store_true", help="delete .web first, as on a fresh clone")
    parser.add_argument("--settle-s", type=float, default=5, help="let workers settle before reading memory")
    args = parser.parse_args(argv)
    if args.fresh_frontend:
        shutil.rmtree(ROOT / ".web", ignore_errors=True)
    workdir = Path(tempfile.mkdtemp(prefix="chatai-bench-"))
    app = RunningApp(data_dir=workdir / "var", port=_free_port(), log_path=workdir / "run.log")
    result: dict[str, object] = {"fresh_frontend": args.fresh_frontend}
    result["cold_start_s"] = round(app.start() + _first_page_s(app), 2)
    time.sleep(args.settle_s)
    result |= memory(app)
    app.stop()
    result["warm_restart_s"] = round(app.start() + _first_page_s(app), 2)
    app.stop()
    print(json.dumps(result, indent=2))
    shutil.rmtree(workdir, ignore_errors=True)
    return result


if __name__ == "__main__":
    main()
