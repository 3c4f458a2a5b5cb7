"""`chatai`: run the whole product, migrate the database, create admins."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

from chatai_app.settings import get_settings


def _database_url(data_dir: Path) -> str:
    """DATABASE_URL if set; otherwise start the embedded PostgreSQL and export its URL."""
    settings = get_settings()
    if settings.database_url:
        return settings.database_url
    from chatai_app.embedded_pg import start_embedded_postgres

    url = start_embedded_postgres(data_dir)
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    return url


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from chatai_app.migrations import upgrade_to_head

    upgrade_to_head(_database_url(args.data_dir))
    print("database is at the latest migration")
    return 0


async def _create_admin(email: str, password: str) -> str:
    from chatai_app.db import dispose_engines, session_scope
    from chatai_app.services.accounts import create_admin

    try:
        async with session_scope() as session:
            context = await create_admin(session=session, email=email, password=password)
        return context.email
    finally:
        await dispose_engines()


def cmd_admin_create(args: argparse.Namespace) -> int:
    from chatai_app.services.errors import DomainError

    _database_url(args.data_dir)
    password = args.password or os.environ.get("CHATAI_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    try:
        email = asyncio.run(_create_admin(args.email, password))
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(f"admin {email} is ready")
    return 0


def cmd_worker(_: argparse.Namespace) -> int:
    from chatai_app.worker import main as worker_main

    worker_main()
    return 0


def with_database(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Run the handler once DATABASE_URL points at a database (starting the embedded one if needed)."""

    def wrapped(args: argparse.Namespace) -> int:
        _database_url(args.data_dir)
        return handler(args)

    return wrapped


def cmd_setup(_: argparse.Namespace) -> int:
    from chatai_app.toolchain import ensure_bun

    print(f"frontend toolchain: {ensure_bun()}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from chatai_app.runner import ROLES, run_everything

    return run_everything(data_dir=args.data_dir, port=args.port, roles=tuple(args.role or ROLES))


CORE_COMMANDS = ("run", "setup", "db", "worker", "admin")


def _core_command(argv: list[str] | None) -> bool:
    """A command that needs none of the knowledge commands' imports (seconds of `chatai run`'s start on 2 busy
    cores); None (the whole parser, for --help and tests) is not."""
    if argv is None:
        return False
    first = argparse.ArgumentParser(add_help=False)
    first.add_argument("--data-dir")
    _, rest = first.parse_known_args(argv)
    return bool(rest) and rest[0] in CORE_COMMANDS


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="chatai", description="ChatAI: AI assistants with live operators")
    parser.add_argument("--data-dir", type=Path, default=settings.data_dir, help="embedded database and files (./var)")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="start the database, web app and bot fleet; Ctrl-C stops all")
    run.add_argument("--port", type=int, default=settings.port)
    run.add_argument(
        "--role",
        action="append",
        choices=("web", "worker", "fleet"),
        help="run only this role of a node (repeatable) against DATABASE_URL/REDIS_URL; default: everything",
    )
    run.set_defaults(handler=cmd_run)

    commands.add_parser("setup", help="install the frontend toolchain (bun from the npm registry)").set_defaults(
        handler=cmd_setup
    )

    db = commands.add_parser("db", help="database maintenance").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply all Alembic migrations").set_defaults(handler=cmd_db_upgrade)

    commands.add_parser("worker", help="run the background job worker").set_defaults(handler=with_database(cmd_worker))
    if not _core_command(argv):
        from chatai_app.cli_knowledge import add_commands as add_knowledge_commands

        add_knowledge_commands(commands, with_database)

    admin = commands.add_parser("admin", help="platform admins").add_subparsers(dest="admin_command", required=True)
    create = admin.add_parser("create", help="create a platform admin (or promote an existing user)")
    create.add_argument("--email", required=True)
    create.add_argument("--password", help="prompted for when omitted (or CHATAI_ADMIN_PASSWORD)")
    create.set_defaults(handler=cmd_admin_create)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    return args.handler(args)


def generated_password() -> str:
    return secrets.token_urlsafe(12)


if __name__ == "__main__":
    raise SystemExit(main())
