"""`chatai run`: embedded database, migrations, first admin, web app and bot fleet as one unit."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from chatai_app.migrations import ROOT, upgrade_to_head
from chatai_app.settings import get_settings
from chatai_app.supervision import HEARTBEAT_S, STATUS_ENV, STATUS_FILE, write_status

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
READY_TIMEOUT_S = 600


BACKOFF_START_S = 0.5  # the first restart of a child that had been running fine
BACKOFF_MAX_S = 30.0
STABLE_AFTER_S = 30.0  # a child that ran this long before dying starts its backoff afresh
POLL_S = 0.25
EXTERNAL_DB_CHECK_S = 5.0
DOWN_REMINDER_S = 60.0


def say(message: str) -> None:
    """The supervisor's own log line (the children log theirs with the same layout)."""
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} chatai.run {message}", file=sys.stderr, flush=True)


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


@dataclass
class Child:
    """One supervised process: started in a session of its own, restarted with backoff when it dies."""

    name: str
    args: list[str]
    env: dict[str, str] | None = None
    cwd: Path = ROOT
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    quick_deaths: int = 0
    started_at: float = 0.0
    started_wall: float = 0.0
    restart_at: float | None = None
    last_exit: str = ""
    last_exit_wall: float | None = None

    def start(self) -> None:
        # A session of its own: Ctrl-C reaches only us, and we stop children in order.
        self.process = subprocess.Popen(self.args, cwd=self.cwd, env=self.env, start_new_session=True)
        self.started_at, self.started_wall, self.restart_at = time.monotonic(), time.time(), None

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    @property
    def state(self) -> str:
        return "restarting" if self.restart_at is not None or self.exit_code() is not None else "running"

    def stop(self, timeout_s: float = 20) -> None:
        """Ask the child's whole process group to stop; kill it if it does not."""
        if self.process is None:
            return
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if self.process.poll() is not None:
                break
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout_s if sig != signal.SIGKILL else 5)
            except subprocess.TimeoutExpired:
                continue
        self.clear_group()

    def clear_group(self, grace_s: float = 3.0) -> None:
        """What the dead child left behind in its process group (a web server's workers holding the port)."""
        if self.process is None:
            return
        pgid = self.process.pid
        for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 1.0)):
            try:
                os.killpg(pgid, sig)
            except (ProcessLookupError, PermissionError):
                return
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline:
                try:
                    os.killpg(pgid, 0)
                except (ProcessLookupError, PermissionError):
                    return
                time.sleep(0.05)

    def status(self) -> dict[str, object]:
        now = time.monotonic()
        return {
            "state": self.state,
            "pid": self.process.pid if self.process is not None and self.exit_code() is None else None,
            "restarts": self.restarts,
            "started_at": self.started_wall,
            "last_exit": self.last_exit,
            "last_exit_at": self.last_exit_wall,
            "restart_in_s": round(max(0.0, self.restart_at - now), 1) if self.restart_at is not None else None,
        }


class EmbeddedDatabase:
    """Watches the embedded server's postmaster; when it dies, starts it again on the same data dir and socket
    (crash recovery keeps what was committed; the children's pools reconnect by themselves)."""

    mode = "embedded"

    def __init__(self, data_dir: Path) -> None:
        from chatai_app.embedded_pg import postmaster_pid

        self.data_dir = data_dir
        self.pid = postmaster_pid(data_dir)
        self.state, self.restarts, self.detail = "up", 0, ""
        self.down_since = 0.0
        self.failures = 0
        self.next_try = 0.0

    def check(self) -> bool:
        """True when something changed."""
        from chatai_app.embedded_pg import postmaster_pid, restart_embedded_postgres

        now = time.monotonic()
        if self.state == "up":
            pid = postmaster_pid(self.data_dir)
            if pid is not None:
                self.pid = pid
                return False
            say(f"PostgreSQL (embedded) is down: its postmaster (pid {self.pid}) is gone; restarting it on the "
                "same data directory. Meanwhile the app answers 503")  # fmt: skip
            self.state, self.down_since, self.failures, self.next_try = "restarting", now, 0, now
            self.detail = f"postmaster pid {self.pid} died"
        if now < self.next_try:
            return False
        try:
            restart_embedded_postgres(self.data_dir, attempts=1)
        except Exception as exc:
            self.failures += 1
            wait_s = min(BACKOFF_MAX_S, 2.0**self.failures)
            self.next_try, self.detail = now + wait_s, str(exc).splitlines()[0][:200]
            say(f"PostgreSQL (embedded) did not start (attempt {self.failures}): {self.detail}; next try in "
                f"{wait_s:.0f} s")  # fmt: skip
            return True
        self.pid, self.restarts, self.state, self.detail = postmaster_pid(self.data_dir), self.restarts + 1, "up", ""
        say(f"PostgreSQL (embedded) is back after {time.monotonic() - self.down_since:.1f} s (pid {self.pid}); "
            "the processes reconnect by themselves")  # fmt: skip
        return True

    def status(self) -> dict[str, object]:
        return {"mode": self.mode, "state": self.state, "restarts": self.restarts, "detail": self.detail}


class ExternalDatabase:
    """A server named by DATABASE_URL is not ours to restart: say clearly that it is gone, and when it is back."""

    mode = "external"

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        parts = psycopg.conninfo.conninfo_to_dict(self.url)
        self.where = f"{parts.get('host') or 'localhost'}:{parts.get('port') or 5432}/{parts.get('dbname', '')}"
        self.state, self.restarts, self.detail = "up", 0, ""
        self.down_since = self.next_check = self.reminded = 0.0

    def check(self) -> bool:
        import psycopg

        now = time.monotonic()
        if now < self.next_check:
            return False
        self.next_check = now + EXTERNAL_DB_CHECK_S
        try:
            psycopg.connect(self.url, connect_timeout=3).close()
        except psycopg.Error as exc:
            detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            if self.state == "up" or now - self.reminded >= DOWN_REMINDER_S:
                since = f" for {now - self.down_since:.0f} s" if self.state == "down" else ""
                say(f"PostgreSQL at {self.where} is unreachable{since}: {detail}. It is an external server "
                    "(DATABASE_URL), so it is not restarted here; the app answers 503 until it is back")  # fmt: skip
                self.reminded = now
            changed = self.state != "down"
            if changed:
                self.down_since = now
            self.state, self.detail = "down", detail
            return changed
        if self.state == "down":
            say(f"PostgreSQL at {self.where} is reachable again after {now - self.down_since:.1f} s")
            self.state, self.detail = "up", ""
            return True
        return False

    def status(self) -> dict[str, object]:
        return {"mode": self.mode, "state": self.state, "restarts": self.restarts, "detail": self.detail}


class Supervisor:
    """Keeps the children alive (restart with backoff and a log line), watches the database, and reports both
    in a status file for /readyz and /metrics of the web app (see supervision.py)."""

    def __init__(
        self,
        children: list[Child],
        *,
        status_file: Path | None = None,
        database: EmbeddedDatabase | ExternalDatabase | None = None,
    ) -> None:
        self.children = children
        self.status_file = status_file
        self.database = database
        self.started_wall = time.time()
        self._written = 0.0
        if status_file is not None:
            for child in children:
                child.env = dict(child.env if child.env is not None else os.environ, **{STATUS_ENV: str(status_file)})

    def child(self, name: str) -> Child:
        return next(child for child in self.children if child.name == name)

    def start(self) -> None:
        """Start the children not started yet."""
        for child in self.children:
            if child.process is None:
                child.start()
        self.write_status()

    def check(self) -> None:
        """One round: notice dead children, restart those whose backoff ran out, watch the database."""
        changed = False
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is None and (code := child.exit_code()) is not None:
                child.clear_group()
                ran_s = now - child.started_at
                child.quick_deaths = 0 if ran_s >= STABLE_AFTER_S else child.quick_deaths + 1
                delay = min(BACKOFF_MAX_S, BACKOFF_START_S * 2 ** max(0, child.quick_deaths - 1))
                child.restart_at, child.last_exit, child.last_exit_wall = now + delay, describe_exit(code), time.time()
                say(f"{child.name} (pid {child.process.pid if child.process else '?'}) exited: {child.last_exit} "
                    f"after {ran_s:.1f} s; restarting it in {delay:.1f} s (restart #{child.restarts + 1})")  # fmt: skip
                changed = True
            elif child.restart_at is not None and now >= child.restart_at:
                child.start()
                child.restarts += 1
                say(f"{child.name} restarted (pid {child.process.pid if child.process else '?'}, "
                    f"restart #{child.restarts})")  # fmt: skip
                changed = True
        if self.database is not None:
            try:
                changed = self.database.check() or changed
            except Exception as exc:  # watching must never stop the supervisor
                say(f"database watch failed: {type(exc).__name__}: {exc}")
        if changed or time.monotonic() - self._written >= HEARTBEAT_S:
            self.write_status()

    def status(self) -> dict[str, object]:
        return {
            "supervisor": {"pid": os.getpid(), "started_at": self.started_wall, "updated_at": time.time()},
            "database": self.database.status() if self.database is not None else {},
            "processes": {child.name: child.status() for child in self.children},
        }

    def write_status(self) -> None:
        self._written = time.monotonic()
        if self.status_file is not None:
            try:
                write_status(self.status_file, self.status())
            except OSError as exc:
                say(f"could not write {self.status_file}: {exc}")

    def run(self, stopping: list[int]) -> int:
        """Until a stop signal: keep everything alive. Then stop the children, last started first."""
        try:
            while not stopping:
                self.check()
                time.sleep(POLL_S)
            print("stopping ChatAI ...")
            return 0
        finally:
            self.stop()

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()
        if self.status_file is not None:
            self.status_file.unlink(missing_ok=True)


async def _bootstrap_admin() -> None:
    from chatai_app.cli import generated_password
    from chatai_app.db import dispose_engines, session_scope
    from chatai_app.services.accounts import admin_exists, create_admin

    try:
        async with session_scope() as session:
            if await admin_exists(session=session):
                return
            email = os.environ.get("CHATAI_ADMIN_EMAIL", "admin@chatai.local")
            password = os.environ.get("CHATAI_ADMIN_PASSWORD") or generated_password()
            await create_admin(session=session, email=email, password=password)
        shown = password if "CHATAI_ADMIN_PASSWORD" not in os.environ else "(from CHATAI_ADMIN_PASSWORD)"
        print(f"First admin created: {email}  password: {shown}  (shown once; change it under Profile)")
    finally:
        await dispose_engines()


def _wait_until_served(url: str, supervisor: Supervisor, stopping: list[int]) -> bool:
    """Until the web app answers; the worker and the fleet are restarted meanwhile, the web app is not (a build
    that fails would fail again)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    web = supervisor.child("web")
    while time.monotonic() < deadline and not stopping:
        if web.exit_code() is not None:
            return False
        supervisor.check()
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.1)  # the first page a tenth of a second after it is served, not half
    return False


def _child_env(database_url: str, port: int) -> dict[str, str]:
    from chatai_app.toolchain import apply_frontend_env, ensure_bun

    ensure_bun()
    env = dict(os.environ, DATABASE_URL=database_url, CHATAI_PORT=str(port), PYTHONUNBUFFERED="1")
    env.setdefault("GRANIAN_RESPAWN_FAILED_WORKERS", "true")  # one dead web worker is restarted (web_workers.py)
    apply_frontend_env(env)
    return env


ROLES = ("web", "worker", "fleet")  # `chatai run --role ...`; the child of the fleet role is named bot_fleet


def _children(env: dict[str, str], port: int, roles: tuple[str, ...] = ROLES) -> list[Child]:
    # `reflex run --env prod --single-port`, without rebuilding a frontend whose sources did not change
    web_args = [sys.executable, "-m", "chatai_app.web_launcher", "--port", str(port)]
    every = {
        "web": Child("web", web_args, env),
        "worker": Child("worker", [sys.executable, "-m", "chatai_app.worker"], env),
        "fleet": Child("bot_fleet", [sys.executable, "-m", "bot_fleet"], env),
    }
    return [every[role] for role in ROLES if role in roles]


def _say_where_the_secret_comes_from() -> None:
    settings = get_settings()
    assert settings.secret_key  # made now, before the children start
    if "SECRET_KEY" not in os.environ:
        print(f"Signing key: {settings.data_dir / 'secret_key'} (generated once; set SECRET_KEY to manage it)")


def _prepare_and_start(supervisor: Supervisor, database_url: str, roles: tuple[str, ...]) -> None:
    """The web child starts first: its start-up (imports, the check of the built frontend) overlaps the migrations
    and the first admin; it serves nothing that needs them before `chatai run` says it is running. The worker and
    the fleet start once the schema is at head."""
    try:
        if "web" in roles:
            supervisor.child("web").start()
        upgrade_to_head(database_url)  # several nodes may start at once: one migrates, the others wait
        if "web" in roles:
            asyncio.run(_bootstrap_admin())
        supervisor.start()
    except BaseException:
        supervisor.stop()
        raise


def run_everything(*, data_dir: Path, port: int, roles: tuple[str, ...] = ROLES) -> int:
    """Everything on one machine (the embedded default), or some roles of a node against DATABASE_URL."""
    started = time.monotonic()
    os.environ["CHATAI_PORT"] = str(port)
    # Children run from the project root: give them the absolute data dir, where the secret key lives.
    os.environ["CHATAI_DATA_DIR"] = str(data_dir.resolve())
    get_settings.cache_clear()
    if set(roles) != set(ROLES) and not get_settings().database_url:
        print("chatai run --role needs DATABASE_URL (and REDIS_URL when there are several web nodes)", file=sys.stderr)
        return 2
    _say_where_the_secret_comes_from()
    from chatai_app.cli import _database_url

    embedded = not get_settings().database_url
    database_url = _database_url(data_dir)
    database = EmbeddedDatabase(data_dir) if embedded else ExternalDatabase(database_url)
    supervisor = Supervisor(
        _children(_child_env(database_url, port), port, roles),
        status_file=data_dir.resolve() / STATUS_FILE,
        database=database,
    )
    stopping: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: stopping.append(signum)) for sig in STOP_SIGNALS}
    try:
        _prepare_and_start(supervisor, database_url, roles)
        if "web" in roles and not _wait_until_served(f"http://127.0.0.1:{port}/login/", supervisor, stopping):
            if not stopping:
                print("ChatAI did not come up; see the output above", file=sys.stderr)
            supervisor.stop()
            return 0 if stopping else 1
        where = f"at {get_settings().base_url}" if "web" in roles else f"as {', '.join(roles)}"
        print(f"\nChatAI is running {where}  (ready in {time.monotonic() - started:.1f} s; Ctrl-C stops it)\n")
        return supervisor.run(stopping)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
