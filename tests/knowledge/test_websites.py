"""Website import (issue 15): a local site with a sitemap, robots.txt, redirects, a 404 and a huge page."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator

import pytest

from chatai_app.db import session_scope
from chatai_app.services import conversation
from chatai_app.services.conversation import Incoming
from chatai_app.services.errors import ValidationFailed
from chatai_app.services.knowledge import documents, retrieval, websites
from chatai_app.settings import get_settings
from tests.fakes.website import FakeWebsite, running_website
from tests.knowledge.conftest import Workspace, drain_queue

DELIVERY = (
    "<article><h1>Delivery</h1><p>Parcels to Kazan arrive in three days. Courier delivery costs 300 roubles and "
    "the courier calls an hour before arriving.</p><p>Pickup points are open from 9 to 21 every day.</p></article>"
)
RETURNS = (
    "<article><h1>Returns</h1><p>You can return any item within 30 days of purchase. The refund reaches your card "
    "within ten business days after we receive the parcel back.</p></article>"
)
CONTACTS = (
    "<article><h1>Contacts</h1><p>Our support team answers by phone every day from 8 to 20 and by e-mail at any "
    "time; the office is in Kazan, on Baumana street.</p></article>"
)
HOME = (
    "<main><h1>Shop</h1><p>We sell garden tools and deliver them all over Russia in a few days.</p>"
    "<a href='/delivery'>Delivery</a> <a href='/contacts#team'>Contacts</a> <a href='/private/secret'>Staff</a>"
    "<a href='http://example.org/elsewhere'>Partner</a> <a href='mailto:shop@example.com'>Mail</a></main>"
)


@pytest.fixture
def site() -> Iterator[FakeWebsite]:
    saved = {k: os.environ.get(k) for k in ("CHATAI_CRAWL_ALLOW_PRIVATE_HOSTS", "CHATAI_CRAWL_INTERVAL_S",
                                             "CHATAI_CRAWL_MAX_PAGE_BYTES")}  # fmt: skip
    os.environ.update(CHATAI_CRAWL_ALLOW_PRIVATE_HOSTS="true", CHATAI_CRAWL_INTERVAL_S="0.2",
                      CHATAI_CRAWL_MAX_PAGE_BYTES="200000")  # fmt: skip
    get_settings.cache_clear()
    with running_website() as server:
        base = server.base_url
        server.pages["/robots.txt"] = (
            200, {"Content-Type": "text/plain"},
            f"User-agent: *\nDisallow: /private/\nSitemap: {base}/sitemap.xml\n".encode(),
        )  # fmt: skip
        urls = "".join(f"<url><loc>{base}{p}</loc></url>" for p in ("/", "/delivery", "/old-returns", "/missing",
                                                                     "/huge", "/private/secret"))  # fmt: skip
        server.pages["/sitemap.xml"] = (
            200, {"Content-Type": "application/xml"},
            f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode(),
        )  # fmt: skip
        server.html("/", "Garden shop", HOME)
        server.html("/delivery", "Delivery", DELIVERY)
        server.redirect("/old-returns", "/returns")
        server.html("/returns", "Returns", RETURNS)
        server.html("/contacts", "Contacts", CONTACTS)
        server.html("/private/secret", "Staff only", "<p>" + "secret staff notes " * 20 + "</p>")
        server.html("/huge", "Huge", "<p>" + "lorem ipsum dolor " * 30000 + "</p>")
        yield server
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


async def _documents(ws: Workspace) -> dict[str, documents.DocumentOut]:
    async with session_scope() as session:
        listed = await documents.list_documents(session=session, tenant_id=ws.tenant_id, assistant_id=ws.assistant_id)
    return {d.source_url: d for d in listed}  # type: ignore[attr-defined]


async def test_website_import_follows_the_rules_and_recrawl_syncs_changes(shop: Workspace, site: FakeWebsite) -> None:
    base = site.base_url
    async with session_scope() as session:
        source = await websites.add_website(
            session=session, tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, url=base + "/", max_pages=20,
            max_depth=2,
        )  # fmt: skip
    await drain_queue()

    pages = await _documents(shop)
    assert set(pages) == {f"{base}/", f"{base}/delivery", f"{base}/returns", f"{base}/contacts"}
    assert {d.filename for d in pages.values()} == {"Garden shop", "Delivery", "Returns", "Contacts"}
    assert all(d.status == "ready" and d.chunk_count >= 1 for d in pages.values())
    fetched = site.paths()
    assert "/private/secret" not in fetched  # robots.txt
    assert fetched.count("/robots.txt") == 1 and "/elsewhere" not in fetched
    assert "/missing" in fetched and "/huge" in fetched  # tried, not kept (404, too large)
    times = [t for t, _, _ in site.requests]
    assert all(b - a >= 0.199 for a, b in itertools.pairwise(times))  # each request an interval after the last ended
    async with session_scope() as session:
        state = await websites.get_source(session=session, tenant_id=shop.tenant_id, source_id=source.id)
        hits = await retrieval.search(session=session, tenant_id=shop.tenant_id, assistant_id=shop.assistant_id,
                                      query="How much does courier delivery cost?", k=3)  # fmt: skip
    assert (state.status, state.progress, state.pages_seen, state.pages_added, state.documents) == (
        "ready",
        1.0,
        4,
        4,
        4,
    )
    assert hits[0].url == f"{base}/delivery"

    turn = await conversation.handle_incoming(
        Incoming(shop.tenant_id, shop.assistant_id, "api", "web-1", "How much does courier delivery cost?")
    )
    assert "300 roubles" in turn.reply_text and f"{base}/delivery" in turn.reply_text
    assert turn.sources[0]["url"] == f"{base}/delivery"

    # the site changes: delivery gets a new price, returns is gone, a new page appears
    site.html("/delivery", "Delivery", DELIVERY.replace("300 roubles", "450 roubles"))
    del site.pages["/returns"]
    site.html("/contacts", "Contacts", CONTACTS + "<a href='/warranty'>Warranty</a>")
    site.html("/warranty", "Warranty", "<p>Every garden tool has a two-year warranty; keep the receipt to use it.</p>")
    async with session_scope() as session:
        await websites.recrawl(session=session, tenant_id=shop.tenant_id, source_id=source.id)
    await drain_queue()
    after = await _documents(shop)
    assert set(after) == {f"{base}/", f"{base}/delivery", f"{base}/contacts", f"{base}/warranty"}
    assert after[f"{base}/"].id == pages[f"{base}/"].id  # unchanged pages are not re-indexed
    async with session_scope() as session:
        state = await websites.get_source(session=session, tenant_id=shop.tenant_id, source_id=source.id)
    # contacts only got a link (its text is the same): not indexed again
    assert (state.pages_added, state.pages_changed, state.pages_removed) == (1, 1, 1)
    assert after[f"{base}/contacts"].created_at == pages[f"{base}/contacts"].created_at
    turn = await conversation.handle_incoming(
        Incoming(shop.tenant_id, shop.assistant_id, "api", "web-2", "How much does courier delivery cost?")
    )
    assert "450 roubles" in turn.reply_text

    async with session_scope() as session:
        await websites.delete_source(session=session, tenant_id=shop.tenant_id, source_id=source.id)
    assert await _documents(shop) == {}


async def test_private_and_local_addresses_are_refused(shop: Workspace) -> None:
    get_settings.cache_clear()
    assert not get_settings().crawl_allow_private_hosts
    for url in ("http://127.0.0.1:8080/", "http://10.1.2.3/", "http://[::1]/", "http://localhost/", "ftp://x.org/",
                "http://169.254.169.254/latest/meta-data/"):  # fmt: skip
        with pytest.raises(ValidationFailed):
            async with session_scope() as session:
                await websites.add_website(session=session, tenant_id=shop.tenant_id, assistant_id=shop.assistant_id,
                                           url=url)  # fmt: skip
    with pytest.raises(websites.FetchRefused):  # a name that resolves to a local address, at fetch time
        await websites.resolve_public("localhost", 80)
    fetcher = websites.Fetcher()
    try:
        with pytest.raises(websites.FetchRefused):
            await fetcher.get("http://localhost:9/")
    finally:
        await fetcher.close()


def test_sitemaps_links_and_main_text_are_read() -> None:
    pages, nested = websites.sitemap_urls(
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://a.example/s1.xml'
        b"</loc></sitemap></sitemapindex>"
    )
    assert (pages, nested) == ([], ["https://a.example/s1.xml"])
    links = websites.page_links("<a href='b#x'>b</a><a href='HTTPS://A.example:443/c'>c</a><a href='mailto:x'>m</a>",
                                "https://a.example/a/")  # fmt: skip
    assert links == ["https://a.example/a/b", "https://a.example/c"]
    title, text = websites.extract_page(
        "<html><head><title>Delivery | Shop</title></head><body><nav>Home About Cart</nav><article><p>"
        + "Parcels to Kazan arrive in three days. " * 5
        + "</p></article><footer>(c) Shop</footer></body></html>",
        "https://a.example/delivery",
    )
    assert title == "Delivery | Shop" and "Parcels to Kazan" in text and "Cart" not in text


def test_cli_add_url_shows_progress_and_lists_the_pages(clean_db: str, site: FakeWebsite) -> None:
    from tests.knowledge.test_knowledge_cli import _chatai

    assert (
        _chatai(clean_db, "admin", "create", "--email", "web@example.com", "--password", "web password").returncode == 0
    )
    created = _chatai(clean_db, "assistant", "create", "--owner", "web@example.com", "--name", "Web", "--json")
    assistant_id = json.loads(created.stdout)["id"]
    added = _chatai(clean_db, "kb", "add-url", "--assistant", assistant_id, "--max-pages", "3", site.base_url)
    assert added.returncode == 0, added.stderr
    assert "100.0%" in added.stderr and "indexed 3/3" in added.stderr
    assert len(added.stdout.splitlines()) == 3 and f"ready  {site.base_url}/" in added.stdout
    again = _chatai(clean_db, "kb", "add-url", "--assistant", assistant_id, "--max-pages", "3", site.base_url + "/")
    assert again.returncode == 0 and "(+0 ~0 -0)" in again.stderr  # the same site again is a re-crawl


async def test_scheduled_recrawl_is_queued_when_due(shop: Workspace, site: FakeWebsite) -> None:
    import sqlalchemy as sa

    from chatai_app.models import KnowledgeSource

    async with session_scope() as session:
        source = await websites.add_website(session=session, tenant_id=shop.tenant_id, assistant_id=shop.assistant_id,
                                            url=site.base_url, max_pages=2, recrawl_hours=24)  # fmt: skip
    await drain_queue()
    async with session_scope() as session:
        state = await websites.get_source(session=session, tenant_id=shop.tenant_id, source_id=source.id)
        assert state.next_crawl_at is not None and await websites.enqueue_due(session=session) == 0  # not yet
        await session.exec(
            sa.update(KnowledgeSource).values(next_crawl_at=sa.func.now() - sa.text("interval '1 minute'"))
        )
    async with session_scope() as session:
        assert await websites.enqueue_due(session=session) == 1
    before = len(site.requests)
    await drain_queue()
    async with session_scope() as session:
        state = await websites.get_source(session=session, tenant_id=shop.tenant_id, source_id=source.id)
    assert state.status == "ready" and state.next_crawl_at is not None and len(site.requests) > before


async def test_website_api_adds_lists_and_refuses_local_addresses(clean_db: str) -> None:
    from tests.test_api import SIGNUP, _client

    get_settings.cache_clear()
    async with _client() as api:
        tokens = (await api.post("/api/v1/auth/signup", json=SIGNUP)).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        assistant = (await api.post("/api/v1/assistants", json={"name": "Bot"}, headers=auth)).json()
        base = f"/api/v1/assistants/{assistant['id']}/websites"
        local = await api.post(base, json={"url": "http://127.0.0.1:8000/"}, headers=auth)
        assert local.status_code == 422 and "private" in local.json()["fields"]["url"]
        too_many = await api.post(base, json={"url": "https://shop.example/", "max_pages": 100000}, headers=auth)
        assert too_many.status_code == 422
        added = await api.post(base, json={"url": "https://Shop.example/#top", "recrawl_hours": 24}, headers=auth)
        assert added.status_code == 202 and added.json()["start_url"] == "https://shop.example/"
        again = await api.post(base, json={"url": "https://shop.example/"}, headers=auth)
        assert again.status_code == 409
        listed = (await api.get(base, headers=auth)).json()
        assert [(s["start_url"], s["status"], s["recrawl_hours"]) for s in listed] == [
            ("https://shop.example/", "pending", 24)
        ]
        gone = await api.delete(f"{base}/{listed[0]['id']}", headers=auth)
        assert gone.status_code == 204 and (await api.get(base, headers=auth)).json() == []
