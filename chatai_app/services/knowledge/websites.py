"""Knowledge from a website: import by start URL or sitemap, re-crawl on demand or on a schedule.

`add_website` stores a `knowledge_sources` row and a crawl job in one transaction; the job worker runs
`crawl_source` (never a request handler). A crawl stays on the start URL's host, follows links breadth-first up to
`max_depth` and reads the sitemaps (the given one, or those robots.txt names, or /sitemap.xml), up to `max_pages`
pages; it obeys robots.txt, sends one request at a time to a host, each
`crawl_interval_s` (1 s) after the previous one ended, follows at most 5 redirects
(each hop checked again), skips pages over `crawl_max_page_bytes` and what is not HTML or text. The main text of
each page is extracted with trafilatura; a page becomes a document (its title as the name, its URL as the source
link shown with answers). A re-crawl re-indexes the pages whose text changed, adds new ones and drops the pages
that are gone (404/410 or no longer linked); a page that fails for another reason (timeout, 5xx) is kept.

SSRF: every host is resolved before each request and refused when any address is private, loopback, link-local,
multicast or reserved (unless CHATAI_CRAWL_ALLOW_PRIVATE_HOSTS); the connection goes to the address that was
checked (the hostname is kept for the Host header and TLS), so DNS cannot swap it in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import logging
import re
import socket
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import Document, DocumentFile, KnowledgeSource
from chatai_app.models._base import utcnow
from chatai_app.services import plans, system_settings
from chatai_app.services.assistants import get_assistant
from chatai_app.services.errors import Conflict, NotFound, ValidationFailed
from chatai_app.services.jobs import KNOWLEDGE_QUEUE, TASK_NAMESPACE, enqueue, enqueue_ingestion
from chatai_app.settings import get_settings

log = logging.getLogger(__name__)
CRAWL_TASK = f"{TASK_NAMESPACE}:crawl_source"
USER_AGENT = "ChatAI-KnowledgeBot/1.0 (+knowledge import)"
MAX_REDIRECTS = 5
MAX_PAGES_LIMIT = 500
MAX_DEPTH_LIMIT = 5
MAX_SITEMAPS = 10
MIN_TEXT_CHARS = 40
HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain", "text/markdown")
SITEMAP_TYPES = ("application/xml", "text/xml", "application/x-xml")
GONE = (404, 410)


@dataclass(frozen=True)
class SourceOut:
    id: uuid.UUID
    assistant_id: uuid.UUID
    start_url: str
    sitemap_url: str
    max_pages: int
    max_depth: int
    recrawl_hours: int
    status: str
    progress: float
    pages_seen: int
    pages_added: int
    pages_changed: int
    pages_removed: int
    pages_skipped: int
    documents: int
    error: str
    last_crawled_at: str | None
    next_crawl_at: str | None

    @classmethod
    def of(cls, s: KnowledgeSource, documents: int = 0) -> SourceOut:
        return cls(
            s.id, s.assistant_id, s.start_url, s.sitemap_url, s.max_pages, s.max_depth, s.recrawl_hours, s.status,
            s.progress, s.pages_seen, s.pages_added, s.pages_changed, s.pages_removed, s.pages_skipped, documents,
            s.error, s.last_crawled_at.isoformat() if s.last_crawled_at else None,
            s.next_crawl_at.isoformat() if s.next_crawl_at else None,
        )  # fmt: skip

    def as_dict(self) -> dict[str, object]:
        return {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in self.__dict__.items()}


class FetchRefused(Exception):
    """A URL the crawler may not fetch (scheme, host, address)."""


# ---- URLs and addresses ----


def normalise_url(url: str, base: str | None = None) -> str | None:
    """An absolute http(s) URL without fragment, lower-case host, default port dropped, '/' for an empty path."""
    url = (url or "").strip()
    if not url or url.startswith(("mailto:", "tel:", "javascript:", "data:")):
        return None
    if base:
        url = urljoin(base, url)
    url = urldefrag(url)[0]
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port and not ((parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme, host, parts.path or "/", parts.query, ""))


def _host_key(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _bad_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
        or ip.is_unspecified or not ip.is_global
    )  # fmt: skip


async def resolve_public(host: str, port: int) -> str:
    """The address to connect to; FetchRefused when the host resolves to a non-public one (unless allowed)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise FetchRefused(f"cannot resolve {host}") from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise FetchRefused(f"cannot resolve {host}")
    if not get_settings().crawl_allow_private_hosts and any(_bad_address(a) for a in addresses):
        raise FetchRefused(f"{host} is a private or local address")
    return str(addresses[0])


def validate_start_url(url: str) -> str:
    normalised = normalise_url(url)
    if normalised is None:
        raise ValidationFailed({"url": "an http:// or https:// address of a website"})
    host = urlsplit(normalised).hostname or ""
    if not get_settings().crawl_allow_private_hosts:
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if (literal is not None and _bad_address(literal)) or host == "localhost" or host.endswith(".localhost"):
            raise ValidationFailed({"url": "private and local addresses cannot be imported"})
    return normalised


# ---- HTTP ----


@dataclass
class Response:
    url: str  # after redirects
    status: int
    content_type: str
    body: bytes
    too_large: bool = False
    error: str = ""


class Fetcher:
    """HTTP GETs for one crawl: pinned to checked addresses, redirects re-checked, one request per interval per host."""

    _last_request: dict[str, float] = {}  # per process: host -> monotonic time of its last request
    _locks: dict[str, asyncio.Lock] = {}

    def __init__(self) -> None:
        import httpx

        settings = get_settings()
        self.interval = settings.crawl_interval_s
        self.max_bytes = settings.crawl_max_page_bytes
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.crawl_timeout_s, connect=5.0), follow_redirects=False, trust_env=False
        )

    async def close(self) -> None:
        await self._client.aclose()

    @contextlib.asynccontextmanager
    async def _turn(self, host: str) -> AsyncIterator[None]:
        """One request to `host` at a time, starting `interval` after the previous one to it ended."""
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            wait = self._last_request.get(host, 0.0) + self.interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._last_request[host] = time.monotonic()

    async def get(self, url: str, *, max_bytes: int | None = None) -> Response:
        limit = max_bytes or self.max_bytes
        for _ in range(MAX_REDIRECTS + 1):
            async with self._turn(_host_key(url)):
                response, following = await self._get_once(url, limit)
            if following is None:
                return response
            url = following
        return Response(url, 0, "", b"", error="too many redirects")

    async def _get_once(self, url: str, limit: int) -> tuple[Response, str | None]:
        """One GET without following: (the response, or the checked URL it redirects to)."""
        import httpx

        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = await resolve_public(parts.hostname or "", port)
        target = urlunsplit((parts.scheme, _netloc(address, parts.port), parts.path or "/", parts.query, ""))
        request = self._client.build_request(
            "GET", target, headers={"Host": parts.netloc, "User-Agent": USER_AGENT, "Accept": "*/*"},
            extensions={"sni_hostname": parts.hostname} if parts.scheme == "https" else {},
        )  # fmt: skip
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            return Response(url, 0, "", b"", error=f"{type(exc).__name__}"), None
        try:
            if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                following = normalise_url(response.headers["location"], url)
                if following is None:
                    return Response(url, response.status_code, "", b"", error="bad redirect"), None
                return Response(url, response.status_code, "", b""), following
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            declared = int(response.headers.get("content-length") or 0)
            if declared > limit:
                return Response(url, response.status_code, content_type, b"", too_large=True), None
            body = bytearray()
            async for piece in response.aiter_bytes():
                body += piece
                if len(body) > limit:
                    return Response(url, response.status_code, content_type, b"", too_large=True), None
            return Response(url, response.status_code, content_type, bytes(body)), None
        except httpx.HTTPError as exc:
            return Response(url, 0, "", b"", error=f"{type(exc).__name__}"), None
        finally:
            await response.aclose()


def _netloc(address: str, port: int | None) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"{host}:{port}" if port else host


# ---- page contents ----


def extract_page(html: str, url: str) -> tuple[str, str]:
    """(title, main text as Markdown) of an HTML page: trafilatura, falling back to the body's text."""
    import trafilatura
    from lxml import html as lxml_html

    title = ""
    try:
        tree = lxml_html.fromstring(html)
        title = " ".join((tree.findtext(".//title") or "").split())
    except (ValueError, lxml_html.etree.ParserError):  # type: ignore[attr-defined]
        tree = None
    text = trafilatura.extract(
        html, url=url, output_format="markdown", include_tables=True, include_links=False, include_comments=False,
        favor_recall=True,
    ) or ""  # fmt: skip
    if len(text.strip()) < MIN_TEXT_CHARS and tree is not None:
        for bad in tree.xpath("//script|//style|//nav|//header|//footer|//noscript"):
            bad.drop_tree()
        body = tree.find(".//body")
        text = "\n\n".join(
            " ".join(p.split()) for p in (body if body is not None else tree).itertext() if p.strip()
        )  # fmt: skip
    if not title:
        title = text.strip().splitlines()[0].lstrip("# ")[:120] if text.strip() else url
    return title[:200], text.strip()


def page_links(html: str, url: str) -> list[str]:
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except (ValueError, lxml_html.etree.ParserError):  # type: ignore[attr-defined]
        return []
    base = tree.find(".//base")
    base_url = urljoin(url, base.get("href")) if base is not None and base.get("href") else url
    links = []
    for anchor in tree.xpath("//a[@href]"):
        if (anchor.get("rel") or "").lower() == "nofollow":
            continue
        if (found := normalise_url(anchor.get("href"), base_url)) is not None:
            links.append(found)
    return links


def sitemap_urls(xml: bytes) -> tuple[list[str], list[str]]:
    """(page URLs, nested sitemap URLs) of a sitemap or sitemap index."""
    from lxml import etree

    try:
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError:
        return [], []
    locs = [(el.getparent().tag, (el.text or "").strip()) for el in root.iter("{*}loc")]
    pages = [u for parent, u in locs if parent.endswith("url") and u]
    nested = [u for parent, u in locs if parent.endswith("sitemap") and u]
    return pages, nested


# ---- services (request side) ----


async def add_website(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    assistant_id: uuid.UUID,
    url: str,
    sitemap_url: str = "",
    max_pages: int = 50,
    max_depth: int = 2,
    recrawl_hours: int = 0,
) -> SourceOut:
    await get_assistant(session=session, tenant_id=tenant_id, assistant_id=assistant_id)
    await system_settings.require_feature(session=session, name="features.website_import")
    errors: dict[str, str] = {}
    try:
        start = validate_start_url(url)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        start = ""
    sitemap = ""
    if sitemap_url.strip():
        sitemap = normalise_url(sitemap_url) or ""
        if not sitemap or (start and _host_key(sitemap) != _host_key(start)):
            errors["sitemap_url"] = "a sitemap on the same website"
    if not (isinstance(max_pages, int) and 1 <= max_pages <= MAX_PAGES_LIMIT):
        errors["max_pages"] = f"1 to {MAX_PAGES_LIMIT} pages"
    if not (isinstance(max_depth, int) and 0 <= max_depth <= MAX_DEPTH_LIMIT):
        errors["max_depth"] = f"0 to {MAX_DEPTH_LIMIT} links deep"
    if not (isinstance(recrawl_hours, int) and 0 <= recrawl_hours <= 24 * 90):
        errors["recrawl_hours"] = "0 (never) to 2160 hours"
    if errors:
        raise ValidationFailed(errors)
    existing = await session.exec(
        select(KnowledgeSource.id).where(
            KnowledgeSource.assistant_id == assistant_id, KnowledgeSource.start_url == start
        )
    )
    if existing.first() is not None:
        raise Conflict("This website is already imported; re-crawl it instead")
    await plans.ensure_within(session=session, tenant_id=tenant_id, resource="documents")
    source = KnowledgeSource(
        tenant_id=tenant_id, assistant_id=assistant_id, start_url=start, sitemap_url=sitemap, max_pages=max_pages,
        max_depth=max_depth, recrawl_hours=recrawl_hours,
    )  # fmt: skip
    session.add(source)
    await session.flush()
    await enqueue_crawl(session=session, source_id=source.id)
    return SourceOut.of(source)


async def enqueue_crawl(*, session: AsyncSession, source_id: uuid.UUID) -> int:
    return await enqueue(
        session=session, task=CRAWL_TASK, args={"source_id": str(source_id)}, queue=KNOWLEDGE_QUEUE,
        lock=f"source:{source_id}",
    )  # fmt: skip


async def _owned(session: AsyncSession, tenant_id: uuid.UUID, source_id: uuid.UUID) -> KnowledgeSource:
    source = await session.get(KnowledgeSource, source_id)
    if source is None or source.tenant_id != tenant_id:
        raise NotFound("Website not found")
    return source


async def _document_counts(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not ids:
        return {}
    rows = await session.exec(
        select(Document.source_id, sa.func.count()).where(Document.source_id.in_(ids)).group_by(Document.source_id)  # type: ignore[union-attr]
    )
    return dict(rows.all())  # type: ignore[arg-type]


async def list_sources(*, session: AsyncSession, tenant_id: uuid.UUID, assistant_id: uuid.UUID) -> list[SourceOut]:
    await get_assistant(session=session, tenant_id=tenant_id, assistant_id=assistant_id)
    sources = (
        await session.exec(
            select(KnowledgeSource)
            .where(KnowledgeSource.tenant_id == tenant_id, KnowledgeSource.assistant_id == assistant_id)
            .order_by(KnowledgeSource.created_at.desc())
        )
    ).all()
    counts = await _document_counts(session, [s.id for s in sources])
    return [SourceOut.of(s, counts.get(s.id, 0)) for s in sources]


async def get_source(*, session: AsyncSession, tenant_id: uuid.UUID, source_id: uuid.UUID) -> SourceOut:
    source = await _owned(session, tenant_id, source_id)
    return SourceOut.of(source, (await _document_counts(session, [source.id])).get(source.id, 0))


async def recrawl(*, session: AsyncSession, tenant_id: uuid.UUID, source_id: uuid.UUID) -> SourceOut:
    source = await _owned(session, tenant_id, source_id)
    if source.status in ("pending", "crawling"):
        raise Conflict("This website is being crawled already")
    source.status, source.progress, source.error, source.updated_at = "pending", 0.0, "", utcnow()
    session.add(source)
    await enqueue_crawl(session=session, source_id=source.id)
    return SourceOut.of(source)


async def delete_source(*, session: AsyncSession, tenant_id: uuid.UUID, source_id: uuid.UUID) -> None:
    """The website, its pages (documents) and their chunks go together."""
    source = await _owned(session, tenant_id, source_id)
    await session.exec(sa.delete(KnowledgeSource).where(KnowledgeSource.id == source.id))


async def enqueue_due(*, session: AsyncSession) -> int:
    """Sources whose scheduled re-crawl is due get a crawl job (the worker calls this every minute)."""
    due = (
        await session.exec(
            select(KnowledgeSource)
            .where(KnowledgeSource.next_crawl_at.is_not(None), KnowledgeSource.next_crawl_at <= utcnow(),  # type: ignore[union-attr]
                   KnowledgeSource.status.not_in(("pending", "crawling")))  # type: ignore[attr-defined]
            .with_for_update(skip_locked=True)
        )
    ).all()  # fmt: skip
    for source in due:
        source.status, source.next_crawl_at, source.updated_at = "pending", None, utcnow()
        session.add(source)
        await enqueue_crawl(session=session, source_id=source.id)
    return len(due)


# ---- the crawl (job worker) ----


@dataclass
class _Crawl:
    source_id: uuid.UUID
    tenant_id: uuid.UUID
    assistant_id: uuid.UUID
    start: str
    sitemap: str
    max_pages: int
    max_depth: int
    recrawl_hours: int
    seen: set[str] = field(default_factory=set)  # pages fetched (final URLs)
    keep: set[str] = field(default_factory=set)  # URLs whose document stays (fetched, or failed for a passing reason)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("added", "changed", "skipped"), 0))


async def crawl_source(source_id: uuid.UUID) -> str:
    """Crawl one website source and sync its documents; returns the final status."""
    crawl = await _begin(source_id)
    if crawl is None:
        return "gone"
    fetcher = Fetcher()
    try:
        robots = await _robots(fetcher, crawl.start)
        await _walk(fetcher, robots, crawl)
        removed = await _drop_missing(crawl)
        await _finish(crawl, removed)
        return "ready"
    except Exception as exc:
        log.exception("crawl of %s failed", crawl.start)
        await _set(source_id, status="failed", error=f"{type(exc).__name__}: {exc}"[:500])
        raise
    finally:
        await fetcher.close()


async def _begin(source_id: uuid.UUID) -> _Crawl | None:
    from chatai_app.db import session_scope

    async with session_scope() as session:
        source = await session.get(KnowledgeSource, source_id, with_for_update=True)
        if source is None:
            return None
        source.status, source.progress, source.error, source.updated_at = "crawling", 0.0, "", utcnow()
        source.pages_seen = source.pages_added = source.pages_changed = source.pages_removed = 0
        source.pages_skipped = 0
        session.add(source)
        return _Crawl(source.id, source.tenant_id, source.assistant_id, source.start_url, source.sitemap_url,
                      source.max_pages, source.max_depth, source.recrawl_hours)  # fmt: skip


async def _set(source_id: uuid.UUID, **values: object) -> None:
    from chatai_app.db import session_scope

    async with session_scope() as session:
        await session.exec(
            sa.update(KnowledgeSource).where(KnowledgeSource.id == source_id).values(updated_at=utcnow(), **values)
        )


async def _robots(fetcher: Fetcher, start: str) -> RobotFileParser:
    parts = urlsplit(start)
    robots_url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
    parser = RobotFileParser(robots_url)
    try:
        response = await fetcher.get(robots_url, max_bytes=512 * 1024)
    except FetchRefused:
        raise
    if response.status in (401, 403):
        parser.disallow_all = True
    elif response.status == 200 and not response.too_large:
        parser.parse(response.body.decode("utf-8", "replace").splitlines())
    else:
        parser.allow_all = True
    return parser


def _allowed(robots: RobotFileParser, url: str) -> bool:
    return robots.can_fetch(USER_AGENT, url)


async def _sitemap_pages(fetcher: Fetcher, robots: RobotFileParser, crawl: _Crawl) -> list[str]:
    parts = urlsplit(crawl.start)
    candidates = [crawl.sitemap] if crawl.sitemap else list(robots.site_maps() or [])
    if not candidates:
        candidates = [urlunsplit((parts.scheme, parts.netloc, "/sitemap.xml", "", ""))]
    queue = deque(u for u in (normalise_url(c) for c in candidates) if u)
    pages: list[str] = []
    read = 0
    while queue and read < MAX_SITEMAPS and len(pages) < crawl.max_pages * 4:
        url = queue.popleft()
        if _host_key(url) != _host_key(crawl.start):
            continue
        read += 1
        try:
            response = await fetcher.get(url, max_bytes=10 * 2**20)
        except FetchRefused:
            continue
        if response.status != 200 or response.too_large:
            continue
        found, nested = sitemap_urls(response.body)
        pages += [u for u in (normalise_url(p) for p in found) if u and _host_key(u) == _host_key(crawl.start)]
        queue.extend(u for u in (normalise_url(n) for n in nested) if u)
    return pages


async def _walk(fetcher: Fetcher, robots: RobotFileParser, crawl: _Crawl) -> None:
    host = _host_key(crawl.start)
    from_sitemap = await _sitemap_pages(fetcher, robots, crawl)
    queue: deque[tuple[str, int]] = deque([(crawl.start, 0)])
    queued = {crawl.start}
    for url in from_sitemap:  # sitemap pages: read, their links not followed further
        if url not in queued:
            queued.add(url)
            queue.append((url, crawl.max_depth))
    fetched = 0
    while queue and fetched < crawl.max_pages:
        url, depth = queue.popleft()
        if not _allowed(robots, url):
            crawl.counts["skipped"] += 1
            continue
        try:
            response = await fetcher.get(url)
        except FetchRefused as refused:
            log.info("crawl %s: %s refused: %s", crawl.source_id, url, refused)
            crawl.counts["skipped"] += 1
            continue
        fetched += 1
        final = response.url
        if response.status == 0 or response.status >= 500 or response.status == 429:
            crawl.keep.add(url)  # a passing failure: keep what we had
            crawl.counts["skipped"] += 1
        elif response.status in GONE or response.status != 200:
            crawl.counts["skipped"] += 1
        elif _host_key(final) != host or not _allowed(robots, final):
            crawl.counts["skipped"] += 1  # redirected off the site, or to a page robots.txt keeps us out of
        elif response.too_large:
            crawl.keep.add(final)
            crawl.counts["skipped"] += 1
        elif final in crawl.seen:
            pass  # two URLs redirecting to one page
        else:
            crawl.seen.add(final)
            crawl.keep.add(final)
            html = _decode(response)
            if response.content_type in HTML_TYPES or (not response.content_type and html.lstrip().startswith("<")):
                title, text = await asyncio.to_thread(extract_page, html, final)
                if depth < crawl.max_depth:
                    for link in page_links(html, final):
                        if _host_key(link) == host and link not in queued:
                            queued.add(link)
                            queue.append((link, depth + 1))
            elif response.content_type in TEXT_TYPES:
                text = html.strip()
                title = text.splitlines()[0].lstrip("# ")[:120] if text else final
            else:
                text, title = "", ""
            if len(text) >= MIN_TEXT_CHARS:
                await _store_page(crawl, final, title, text)
            else:
                crawl.counts["skipped"] += 1
        await _set(
            crawl.source_id, pages_seen=len(crawl.seen), pages_added=crawl.counts["added"],
            pages_changed=crawl.counts["changed"], pages_skipped=crawl.counts["skipped"],
            progress=round(min(0.95, fetched / max(1, min(crawl.max_pages, len(queued)))), 3),
        )  # fmt: skip


def _decode(response: Response) -> str:
    try:
        import charset_normalizer

        best = charset_normalizer.from_bytes(response.body).best()
        return str(best) if best is not None else response.body.decode("utf-8", "replace")
    except ImportError:
        return response.body.decode("utf-8", "replace")


async def _store_page(crawl: _Crawl, url: str, title: str, text: str) -> None:
    """A new page becomes a document; a changed one gets its new text and is indexed again; an unchanged one stays."""
    from chatai_app.db import session_scope

    data = f"# {title}\n\n{text}\n".encode()
    digest = hashlib.sha256(data).hexdigest()
    async with session_scope() as session:
        document = (
            await session.exec(
                select(Document).where(Document.source_id == crawl.source_id, Document.source_url == url)
                .with_for_update()
            )
        ).first()  # fmt: skip
        if document is not None and document.content_hash == digest:
            return
        clash = (
            await session.exec(
                select(Document.id).where(Document.assistant_id == crawl.assistant_id, Document.content_hash == digest)
            )
        ).first()
        if clash is not None:  # the same text is in the knowledge already (a mirror page, an uploaded copy)
            crawl.counts["skipped"] += 1
            return
        name = _document_name(title, url)
        if document is None:
            await plans.ensure_within(session=session, tenant_id=crawl.tenant_id, resource="documents")
            document = Document(
                tenant_id=crawl.tenant_id, assistant_id=crawl.assistant_id, filename=name, mime_type="text/markdown",
                size_bytes=len(data), content_hash=digest, storage_key="text", source_id=crawl.source_id,
                source_url=url,
            )  # fmt: skip
            session.add(document)
            await session.flush()
            session.add(DocumentFile(document_id=document.id, tenant_id=crawl.tenant_id, content=data))
            crawl.counts["added"] += 1
        else:
            document.filename, document.size_bytes, document.content_hash = name, len(data), digest
            document.status, document.progress, document.error, document.updated_at = "pending", 0.0, "", utcnow()
            session.add(document)
            await session.exec(
                sa.update(DocumentFile).where(DocumentFile.document_id == document.id).values(content=data)
            )
            crawl.counts["changed"] += 1
        await enqueue_ingestion(session=session, document_id=str(document.id))


def _document_name(title: str, url: str) -> str:
    name = re.sub(r"\s+", " ", title).strip() or url
    return name[:255]


async def _drop_missing(crawl: _Crawl) -> int:
    """Pages of this source that the crawl did not find again (gone, or no longer linked) are removed."""
    from chatai_app.db import session_scope

    async with session_scope() as session:
        result = await session.exec(
            sa.delete(Document)
            .where(Document.source_id == crawl.source_id, Document.source_url.not_in(crawl.keep or {""}))  # type: ignore[attr-defined]
            .returning(Document.id)
        )
        return len(result.all())


async def _finish(crawl: _Crawl, removed: int) -> None:
    next_at = utcnow() + timedelta(hours=crawl.recrawl_hours) if crawl.recrawl_hours else None
    await _set(
        crawl.source_id, status="ready", progress=1.0, pages_seen=len(crawl.seen), pages_added=crawl.counts["added"],
        pages_changed=crawl.counts["changed"], pages_removed=removed, pages_skipped=crawl.counts["skipped"],
        last_crawled_at=utcnow(), next_crawl_at=next_at,
        error="" if crawl.seen else "no page could be read (robots.txt, errors or an empty site)",
    )  # fmt: skip
