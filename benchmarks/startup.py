"""Cold start, warm restart and memory of `chatai run`.

    python -m benchmarks.startup [--fresh-frontend] [--warm-runs 3] [--write]

Cold: a new data directory (initdb, migrations, first admin) and, with --fresh-frontend, no frontend build
either (as on a fresh clone; REFLEX_WEB_WORKDIR names another build folder than `.web`). The run uses the port the
frontend on disk was built for (the URL is part of the bundle: on another port the first start rebuilds it, ~8 s
more; `--port` with a new port measures that), and says whether the cold start reused the build. Warm: the same data
directory again, unchanged sources: the built frontend is reused (each restart says whether it was; in a checkout
being edited meanwhile it may rebuild). Prints JSON: seconds to the first page served, RSS of every process of
the run, and the load average (2 shared cores: other work on the machine shows in these seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psutil

from chatai_app import web_launcher
from tests.browser.conftest import RunningApp, _free_port

RESULT = Path(__file__).resolve().parent / "results" / "startup.json"
RESULT_FRESH = RESULT.with_name("startup_fresh_frontend.json")  # --fresh-frontend: no build either


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


def _built_port() -> int | None:
    """The port the frontend bundle on disk was built for (Reflex writes its URLs into env.json)."""
    try:
        ping = json.loads((web_launcher.web_dir() / "env.json").read_text())["PING"]
        return urllib.parse.urlparse(ping).port
    except (OSError, ValueError, KeyError, TypeError):
        return None


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


def _restart(app: RunningApp) -> dict[str, object]:
    """One warm restart: seconds to the first page, and whether the built frontend was reused."""
    offset = app.log_path.stat().st_size
    seconds = app.start() + _first_page_s(app)
    reused = "frontend unchanged: serving the existing build" in app._new_output(offset)
    app.stop()
    return {"seconds": round(seconds, 2), "frontend_reused": reused}


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fresh-frontend", action="store_true", help="delete the frontend build first (fresh clone)")
    parser.add_argument("--settle-s", type=float, default=5, help="let workers settle before reading memory")
    parser.add_argument("--warm-runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=0,
                        help="default: the built frontend's, else a free one (a new port: a new build)")  # fmt: skip
    parser.add_argument("--write", action="store_true", help=f"save to {RESULT.relative_to(RESULT.parents[2])}")
    args = parser.parse_args(argv)
    if args.fresh_frontend:
        shutil.rmtree(web_launcher.web_dir(), ignore_errors=True)
    workdir = Path(tempfile.mkdtemp(prefix="chatai-bench-"))
    port = args.port or (None if args.fresh_frontend else _built_port()) or _free_port()
    app = RunningApp(data_dir=workdir / "var", port=port, log_path=workdir / "run.log")
    result: dict[str, object] = {"fresh_frontend": args.fresh_frontend, "load_average_before": os.getloadavg()[0]}
    result["cold_start_s"] = round(app.start() + _first_page_s(app), 2)
    result["cold_frontend_reused"] = "frontend unchanged: serving the existing build" in app._new_output(0)
    time.sleep(args.settle_s)
    result |= memory(app)
    app.stop()
    runs = [_restart(app) for _ in range(args.warm_runs)]
    reused = [r["seconds"] for r in runs if r["frontend_reused"]]
    result["warm_restarts"] = runs
    result["warm_restart_s"] = min(reused) if reused else None  # the best of the restarts that reused the build
    result["warm_restart_median_s"] = statistics.median(reused) if reused else None
    result["load_average_after"] = os.getloadavg()[0]
    print(json.dumps(result, indent=2))
    if args.write:
        (RESULT_FRESH if args.fresh_frontend else RESULT).write_text(json.dumps(result, indent=2) + "\n")
    shutil.rmtree(workdir, ignore_errors=True)
    return result


if __name__ == "__main__":
    main()
