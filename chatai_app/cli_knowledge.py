"""`chatai assistant ...` and `chatai kb ...`: the knowledge services for operators and scripts."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from pathlib import Path

from chatai_app.db import dispose_engines, session_scope
from chatai_app.services import accounts, assistants
from chatai_app.services.errors import DomainError
from chatai_app.services.knowledge import documents, retrieval, websites
from chatai_app.settings import get_settings

POLL_S = 0.5


def _run(coro: object) -> int:
    async def wrapped() -> int:
        try:
            return await coro  # type: ignore[misc]
        except DomainError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 1
        finally:
            await dispose_engines()

    return asyncio.run(wrapped())


async def assistant_create(args: argparse.Namespace) -> int:
    async with session_scope() as session:
        user = await accounts.find_user_by_email(session=session, email=args.owner)
        if user is None:
            raise DomainError(f"no user with email {args.owner}")
        context = await accounts.load_context(session=session, user_id=user.id)
        created = await assistants.create_assistant(session=session, tenant_id=context.tenant_id, name=args.name)
    print(json.dumps({"id": str(created.id), "name": created.name}) if args.json else created.id)
    return 0


async def _tenant(assistant_id: uuid.UUID) -> uuid.UUID:
    async with session_scope() as session:
        return await assistants.tenant_of_assistant(session=session, assistant_id=assistant_id)


async def _add_one(tenant_id: uuid.UUID, assistant_id: uuid.UUID, path: Path) -> uuid.UUID:
    data = await asyncio.to_thread(path.read_bytes)
    async with session_scope() as session:
        document = await documents.add_document(
            session=session,
            tenant_id=tenant_id,
            assistant_id=assistant_id,
            filename=path.name,
            data=data,
            max_bytes=get_settings().max_upload_bytes,
        )
    return document.id


def _bar(done: float, width: int = 30) -> str:
    filled = int(done * width)
    return "[" + "#" * filled + "." * (width - filled) + f"] {done * 100:5.1f}%"


async def _wait_for(tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> list[documents.DocumentOut]:
    """Work the queue in this process (a running `chatai run` worker may share it) and draw progress."""
    from chatai_app.worker import run_until_idle

    worker = asyncio.create_task(run_until_idle())
    while True:
        async with session_scope() as session:
            state = await documents.get_documents(session=session, tenant_id=tenant_id, ids=ids)
        progress = sum(1.0 if d.status in ("ready", "failed") else d.progress for d in state) / len(ids)
        print(f"\r{_bar(progress)}", end="", file=sys.stderr, flush=True)
        if all(d.status in ("ready", "failed") for d in state):
            print(file=sys.stderr)
            break
        if worker.done():  # queue drained but ours are not finished: a retry is scheduled later
            worker = asyncio.create_task(run_until_idle())
        await asyncio.sleep(POLL_S)
    await worker
    return state


async def kb_add(args: argparse.Namespace) -> int:
    assistant_id = uuid.UUID(args.assistant)
    tenant_id = await _tenant(assistant_id)
    accepted, failed = [], []
    for path in args.paths:
        try:
            accepted.append(await _add_one(tenant_id, assistant_id, path))
        except (DomainError, OSError) as exc:
            failed.append(f"{path}: {getattr(exc, 'message', None) or exc}")
    if accepted:
        for document in await _wait_for(tenant_id, accepted):
            if document.status == "failed":
                failed.append(f"{document.filename}: {document.error}")
            else:
                print(f"ready  {document.filename}  ({document.chunk_count} chunks)")
    for line in failed:
        print(f"failed {line}", file=sys.stderr)
    return 1 if failed else 0


async def kb_add_url(args: argparse.Namespace) -> int:
    """Import a website and wait: the crawl (pages found, added, changed, removed), then the indexing of its pages."""
    from chatai_app.worker import run_until_idle

    assistant_id = uuid.UUID(args.assistant)
    tenant_id = await _tenant(assistant_id)
    async with session_scope() as session:
        listed = await websites.list_sources(session=session, tenant_id=tenant_id, assistant_id=assistant_id)
        again = next((s for s in listed if s.start_url == websites.normalise_url(args.url)), None)
        if again is not None:  # the same site again: a re-crawl
            source = await websites.recrawl(session=session, tenant_id=tenant_id, source_id=again.id)
        else:
            source = await websites.add_website(
                session=session, tenant_id=tenant_id, assistant_id=assistant_id, url=args.url,
                sitemap_url=args.sitemap or "", max_pages=args.max_pages, max_depth=args.depth,
                recrawl_hours=args.recrawl_hours,
            )  # fmt: skip
    print(f"crawling {source.start_url}", file=sys.stderr)
    worker = asyncio.create_task(run_until_idle())
    while True:
        async with session_scope() as session:
            state = await websites.get_source(session=session, tenant_id=tenant_id, source_id=source.id)
            pages = [d for d in await documents.list_documents(session=session, tenant_id=tenant_id,
                                                               assistant_id=assistant_id) if d.source_url]  # fmt: skip
        indexed = sum(d.status in ("ready", "failed") for d in pages)
        crawled = state.status in ("ready", "failed")
        done = 0.5 * (1.0 if crawled else state.progress) + 0.5 * (indexed / len(pages) if pages and crawled else 0)
        counts = f"+{state.pages_added} ~{state.pages_changed} -{state.pages_removed}"
        line = f"\r{_bar(done)}  pages {state.pages_seen} ({counts}), indexed {indexed}/{len(pages)}"
        print(line, end="", file=sys.stderr, flush=True)
        if crawled and indexed == len(pages):
            print(file=sys.stderr)
            break
        if worker.done():
            worker = asyncio.create_task(run_until_idle())
        await asyncio.sleep(POLL_S)
    await worker
    failed = [d for d in pages if d.status == "failed"]
    for document in pages:
        print(f"{document.status:<6} {document.source_url}  {document.filename}  ({document.chunk_count} chunks)")
    if state.status == "failed" or state.error:
        print(f"error: {state.error}", file=sys.stderr)
    return 1 if state.status == "failed" or failed or not pages else 0


async def _search(tenant_id: uuid.UUID, assistant_id: uuid.UUID, question: str, k: int) -> list[dict[str, object]]:
    async with session_scope() as session:
        hits = await retrieval.search(
            session=session, tenant_id=tenant_id, assistant_id=assistant_id, query=question, k=k
        )
    return [hit.as_dict() for hit in hits]


async def kb_search(args: argparse.Namespace) -> int:
    assistant_id = uuid.UUID(args.assistant)
    tenant_id = await _tenant(assistant_id)
    if args.batch:
        lines = (await asyncio.to_thread(args.batch.read_text, encoding="utf-8")).splitlines()
        for question in filter(None, (line.strip() for line in lines)):
            hits = await _search(tenant_id, assistant_id, question, args.k)
            print(json.dumps({"question": question, "results": hits}, ensure_ascii=False), flush=True)
        return 0
    if not args.question:
        raise DomainError("give a question, or --batch FILE")
    hits = await _search(tenant_id, assistant_id, args.question, args.k)
    if args.json or args.jsonl:
        print(json.dumps(hits, ensure_ascii=False, indent=None if args.jsonl else 2))
    else:
        for rank, hit in enumerate(hits, 1):
            where = f"{hit['document']} p.{hit['page']}" if hit["page"] else hit["document"] or "Q&A"
            print(f"{rank}. [{hit['score']:.4f}] {where}: {str(hit['text'])[:160]}")
    return 0


async def kb_eval(args: argparse.Namespace) -> int:
    from chatai_app.data import XQUAD_DIR
    from chatai_app.services.knowledge.evaluation import evaluate_dataset, format_table

    reports = []
    for language in args.lang.split(","):
        path = (args.data or XQUAD_DIR) / f"xquad-dev.{language}.json"
        print(f"evaluating {path} ...", file=sys.stderr)
        reports.append(await evaluate_dataset(path, language=language))
    print(json.dumps([r.as_dict() for r in reports], indent=2) if args.json else format_table(reports))
    return 0


def add_commands(commands: argparse._SubParsersAction, with_database: object) -> None:
    """Register the subcommands; `with_database` wraps a handler so the database is up first."""

    def handler(fn: object) -> object:
        return with_database(lambda args: _run(fn(args)))  # type: ignore[operator]

    assistant = commands.add_parser("assistant", help="assistants").add_subparsers(dest="assistant_cmd", required=True)
    create = assistant.add_parser("create", help="create an assistant in the owner's workspace")
    create.add_argument("--owner", required=True, help="email of the workspace owner")
    create.add_argument("--name", required=True)
    create.add_argument("--json", action="store_true")
    create.set_defaults(handler=handler(assistant_create))

    kb = commands.add_parser("kb", help="knowledge base").add_subparsers(dest="kb_cmd", required=True)
    add = kb.add_parser("add", help="upload files and wait until they are indexed")
    add.add_argument("--assistant", required=True)
    add.add_argument("paths", nargs="+", type=Path)
    add.set_defaults(handler=handler(kb_add))

    add_url = kb.add_parser("add-url", help="import a website (or crawl it again) and wait until it is indexed")
    add_url.add_argument("--assistant", required=True)
    add_url.add_argument("--sitemap", help="sitemap URL (default: robots.txt's sitemaps, else /sitemap.xml)")
    add_url.add_argument("--max-pages", type=int, default=50)
    add_url.add_argument("--depth", type=int, default=2, help="links followed from the start page")
    add_url.add_argument("--recrawl-hours", type=int, default=0, help="crawl again every N hours (0: on demand)")
    add_url.add_argument("url")
    add_url.set_defaults(handler=handler(kb_add_url))

    search = kb.add_parser("search", help="search an assistant's knowledge")
    search.add_argument("--assistant", required=True)
    search.add_argument("--k", type=int, default=5)
    search.add_argument("--json", action="store_true")
    search.add_argument("--jsonl", action="store_true")
    search.add_argument("--batch", type=Path, help="one question per line; one JSON line per question out")
    search.add_argument("question", nargs="?")
    search.set_defaults(handler=handler(kb_search))

    evaluate = kb.add_parser("eval", help="hit@k and MRR on XQuAD (hybrid vs full-text only)")
    evaluate.add_argument(
        "--data", type=Path, help="folder with xquad-dev.<lang>.json (default: the XQuAD subset in the package)"
    )
    evaluate.add_argument("--lang", default="ru,en")
    evaluate.add_argument("--json", action="store_true")
    evaluate.set_defaults(handler=handler(kb_eval))
