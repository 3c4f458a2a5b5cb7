"""The console a support team lives in (issue 13): app shell, three-pane inbox, Russian everywhere, phones.

Covers the defects one by one where a browser can show them, loads every console page at 390 px (no
horizontal overflow) and writes screenshots of each page (desktop and phone, EN and RU) to test-artifacts/."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from chatai_app.i18n import UI
from tests.browser.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, ROOT, RunningApp

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts" / "screens"
OWNER_EMAIL, OWNER_PASSWORD = "irina@example.com", "irina password 1"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# English that must never appear on a Russian page: the server's raw values and the catalogue's English words.
RAW_VALUES = [
    "charge",
    "welcome_bonus",
    "refund",
    "widget reply",
    "ready",
    "friendly",
    "apology",
    "left",
    "right",
    "online",
    "owner",
    "Balance fell",
    "Free",
    "Pro",
    "Business",
    "minor units",
    "waiting",
    "playground",
    "offline_form",
    "topup",
    "Role",
]
ALLOWED_LATIN = {
    "ChatAI",
    "Telegram",
    "API",
    "CSV",
    "PDF",
    "DOCX",
    "TXT",
    "MD",
    "EN",
    "RU",
    "OpenAI",
    "BotFather",
    "body",
    "script",
    "src",
    "async",
    "data",
    "assistant",
    "widget",
    "js",
    "http",
    "https",
    "localhost",
    "polling",
    "webhook",
    "Enter",
    "Shift",
    "KB",
    "P",
    "SPRING",
    "example",
    "com",
    "irina",
    "admin",
    "fake",
    "gpt",
    "offline",
    "extractive",
    "English",  # the language picker names each language in itself: English / Русский
    "robots",  # robots.txt, a file name the website import names in both languages
}


def _english_words() -> set[str]:
    words = set()
    for strings in UI.values():
        if strings["en"] != strings["ru"]:
            words |= {w for w in re.findall(r"[A-Za-z]{4,}", strings["en"]) if w not in ALLOWED_LATIN}
    return words


def _api(app: RunningApp, path: str, token: str | None = None, body: dict | None = None, method: str = "") -> object:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(app.url + path, data=data, headers=headers, method=method or None)
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def _token(app: RunningApp, email: str, password: str) -> str:
    return _api(app, "/api/v1/auth/login", body={"email": email, "password": password})["access_token"]


def _log_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-submit")
    expect(page.locator("#dashboard-heading")).to_be_visible()


@pytest.fixture(scope="module")
def workspace(browser: Browser, app_server: RunningApp) -> dict[str, str]:
    """An owner (Russian names only, so the RU check sees no English test data) with one assistant."""
    context = browser.new_context(base_url=app_server.url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto("/signup")
    page.fill("#full_name", "Ирина")
    page.fill("#workspace_name", "Цветочная лавка")
    page.fill("#email", OWNER_EMAIL)
    page.fill("#password", OWNER_PASSWORD)
    page.click("#signup-submit")
    expect(page.locator("#dashboard-heading")).to_be_visible()
    context.close()
    token = _token(app_server, OWNER_EMAIL, OWNER_PASSWORD)
    assistant = _api(app_server, "/api/v1/assistants", token, {"name": "Помощник"})
    return {"token": token, "assistant": assistant["id"]}


@pytest.fixture
def owner(page: Page, workspace: dict[str, str]) -> Page:
    _log_in(page, OWNER_EMAIL, OWNER_PASSWORD)
    return page


def _waiting_dialog(app: RunningApp, workspace: dict[str, str], conversation: str) -> str:
    chat = f"/api/v1/assistants/{workspace['assistant']}/chat"
    turn = _api(
        app, chat, workspace["token"], {"text": "Позовите оператора, пожалуйста", "conversation_id": conversation}
    )
    return str(turn["dialog_id"])


def _user_says(app: RunningApp, workspace: dict[str, str], conversation: str, text: str) -> None:
    chat = f"/api/v1/assistants/{workspace['assistant']}/chat"
    _api(app, chat, workspace["token"], {"text": text, "conversation_id": conversation})


def test_operator_reply_is_sent_once_and_the_transcript_follows(
    owner: Page, app_server: RunningApp, workspace: dict[str, str]
) -> None:
    """Items 1, 2, 13 and the keyboard: a double click sends one reply and clears the box; Enter sends; the
    transcript sticks to the bottom, and shows 'new messages' when the operator has scrolled up."""
    page = owner
    dialog = _waiting_dialog(app_server, workspace, "double-send")
    page.goto("/inbox")
    item = page.locator(f".inbox-item[data-dialog='{dialog}']")
    expect(item).to_contain_text(re.compile(r"Visitor \d+"))  # not a hash
    item.click()
    page.fill("#inbox-draft", "Здравствуйте! Сейчас помогу.")
    page.dblclick("#inbox-send")
    expect(page.locator(".inbox-message[data-role=operator]")).to_have_count(1)
    expect(page.locator("#inbox-draft")).to_have_value("")
    page.wait_for_timeout(1500)  # a late second send would show up by now
    expect(page.locator(".inbox-message[data-role=operator]")).to_have_count(1)
    replies = [
        m for m in _api(app_server, f"/api/v1/dialogs/{dialog}/messages", workspace["token"]) if m["role"] == "operator"
    ]
    assert len(replies) == 1

    page.fill("#inbox-draft", "Первая строка")
    page.press("#inbox-draft", "Shift+Enter")
    page.type("#inbox-draft", "вторая строка")
    page.press("#inbox-draft", "Enter")
    expect(page.locator(".inbox-message[data-role=operator]").last).to_contain_text("Первая строка\nвторая строка")

    for n in range(12):  # fill the transcript past its height; it keeps following
        _user_says(app_server, workspace, "double-send", f"Сообщение {n}\n" * 3)
    expect(page.locator(".inbox-message[data-role=user]").last).to_contain_text("Сообщение 11")
    page.wait_for_timeout(600)
    at_bottom = "el => el.scrollHeight - el.scrollTop - el.clientHeight < 40"
    assert page.locator("#inbox-transcript").evaluate(at_bottom)
    page.locator("#inbox-transcript").evaluate("el => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }")
    page.wait_for_timeout(300)
    _user_says(app_server, workspace, "double-send", "А пока я пролистал наверх")
    expect(page.locator("#new-messages")).to_be_visible()
    assert not page.locator("#inbox-transcript").evaluate(at_bottom)
    page.click("#new-messages")
    page.wait_for_timeout(300)
    assert page.locator("#inbox-transcript").evaluate(at_bottom)

    # the JSON API is idempotent with a client message id too
    body = {"text": "Повтор", "message_id": "client-1"}
    first = _api(app_server, f"/api/v1/dialogs/{dialog}/reply", workspace["token"], body)
    again = _api(app_server, f"/api/v1/dialogs/{dialog}/reply", workspace["token"], body)
    assert first == again


def test_inbox_on_a_phone_goes_list_then_conversation(
    browser: Browser, app_server: RunningApp, workspace: dict[str, str]
) -> None:
    """Item 5: operators answer from phones."""
    dialog = _waiting_dialog(app_server, workspace, "phone")
    context = browser.new_context(base_url=app_server.url, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(30_000)
    _log_in(page, OWNER_EMAIL, OWNER_PASSWORD)
    page.goto("/inbox")
    page.locator(f".inbox-item[data-dialog='{dialog}']").click()
    expect(page.locator("#inbox-list")).to_be_hidden()
    page.fill("#inbox-draft", "Отвечаю с телефона")
    page.click("#inbox-send")
    expect(page.locator(".inbox-message[data-role=operator]").last).to_contain_text("Отвечаю с телефона")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.click("#inbox-back")
    expect(page.locator("#inbox-list")).to_be_visible()
    context.close()


def test_assistant_delete_and_archive(owner: Page, app_server: RunningApp, workspace: dict[str, str]) -> None:
    """Item 3: delete (confirmed, with what goes) frees the plan's slot; archive keeps it; the API deletes too."""
    page = owner
    page.goto("/assistants")
    page.fill("#name", "Тестовый")
    page.click("#assistant-create")
    expect(page.locator("#knowledge-heading")).to_be_visible()
    page.goto("/assistants")
    row = page.locator(".assistant-row[data-name='Тестовый']")
    row.locator(".assistant-archive").click()
    expect(row).to_contain_text("archived")
    row.locator(".assistant-restore").click()
    row.locator(".assistant-delete").click()
    expect(page.locator("#delete-footprint")).to_be_visible()
    page.get_by_role("alertdialog").get_by_text("Cancel").click()
    expect(row).to_be_visible()
    row.locator(".assistant-delete").click()
    page.click("#confirm-delete-assistant")
    expect(row).to_have_count(0)

    extra = _api(app_server, "/api/v1/assistants", workspace["token"], {"name": "Через API"})
    gone = _api(app_server, f"/api/v1/assistants/{extra['id']}", workspace["token"], method="DELETE")
    assert gone == {"documents": 0, "qa_pairs": 0, "bots": 0, "dialogs": 0}


def test_knowledge_confirmations_playground_and_settings(
    owner: Page, workspace: dict[str, str], tmp_path: Path
) -> None:
    """Items 10, 12, 15."""
    page = owner
    assistant = workspace["assistant"]
    page.goto(f"/assistants/{assistant}")
    page.click("#kb-upload-button")
    expect(page.locator(".upload-error")).to_contain_text("Choose a file first")
    doc = tmp_path / "dostavka.txt"
    doc.write_text("# Доставка\n\nКурьер привезёт заказ за один день.\n", encoding="utf-8")
    page.set_input_files("#kb_upload input[type=file]", [str(doc)])
    page.click("#kb-upload-button")
    row = page.locator(".document-row", has_text="dostavka.txt")
    expect(row).to_be_visible()
    row.locator(".document-delete").click()
    expect(page.get_by_role("alertdialog")).to_contain_text("dostavka.txt")
    page.get_by_role("alertdialog").get_by_text("Cancel").click()
    expect(row).to_be_visible()  # nothing deleted without the confirmation

    page.goto(f"/assistants/{assistant}/playground")
    long_text = "слово " * 800
    page.fill("#message", long_text)
    page.click("#send")
    expect(page.locator("#message-error")).to_contain_text("too long")
    expect(page.locator("#message-error")).not_to_contain_text("text:")
    assert page.input_value("#message").strip() == long_text.strip()  # kept
    expect(page.locator(".user-message")).to_have_count(0)  # never shown as sent

    page.goto(f"/assistants/{assistant}/settings")
    expect(page.locator("#settings-heading")).to_contain_text("Помощник")
    expect(page.locator("#embed-code")).to_contain_text(f'data-assistant="{assistant}"')
    expect(page.locator("#copy-embed")).to_be_visible()
    box = page.locator("#embed-code").bounding_box()
    assert box and box["width"] <= page.viewport_size["width"]


def test_billing_confirms_plans_speaks_roubles_and_no_alert_on_first_reply(
    owner: Page, app_server: RunningApp, workspace: dict[str, str]
) -> None:
    """Items 7, 8, 16 (prices with ₽)."""
    page = owner
    _user_says(app_server, workspace, "first-reply", "Сколько стоит доставка?")  # 100 ₽ -> 99 ₽
    page.goto("/billing")
    expect(page.locator(".plan-card[data-plan=pro] .plan-price")).to_contain_text("₽")
    expect(page.locator(".billing-notice")).to_have_count(0)  # no "fell below 100" for a new account
    page.locator(".plan-card[data-plan=pro] .choose-plan").click()
    expect(page.locator("#confirm-plan-price")).to_contain_text("1 990.00 ₽")
    page.click("#confirm-plan")
    toast = page.locator("[data-sonner-toast]")
    expect(toast).to_contain_text("monthly price")
    expect(toast).not_to_contain_text("price of a reply")
    expect(page.locator("#plan-name")).to_have_text("Free")


def test_favicon_and_offline_api_docs(app_server: RunningApp, page: Page) -> None:
    """Item 14."""
    with urllib.request.urlopen(app_server.url + "/favicon.ico", timeout=10) as response:
        assert response.status == 200
    html = urllib.request.urlopen(app_server.url + "/docs", timeout=10).read().decode()
    assert "cdn" not in html.lower()
    page.route(re.compile(r"^https?://(?!localhost)"), lambda route: route.abort())  # offline
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ChatAI API")


def _console_pages(assistant: str) -> list[tuple[str, str]]:
    return [
        ("dashboard", "/"),
        ("assistants", "/assistants"),
        ("knowledge", f"/assistants/{assistant}"),
        ("settings", f"/assistants/{assistant}/settings"),
        ("playground", f"/assistants/{assistant}/playground"),
        ("inbox", "/inbox"),
        ("dialogs", "/dialogs"),
        ("billing", "/billing"),
        ("profile", "/profile"),
    ]


def _settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(700)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_page_fits_a_phone_and_screenshots(
    browser: Browser, app_server: RunningApp, workspace: dict[str, str], lang: str
) -> None:
    """Item 5 and the artifacts: every console page at 390 px has no horizontal overflow; screenshots of each
    page, desktop and phone, in this language."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    _waiting_dialog(app_server, workspace, f"screens-{lang}")
    overflowing = []
    for viewport_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(base_url=app_server.url, viewport=viewport)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.add_init_script(f"localStorage.setItem('chatai_lang', '{lang}')")
        _log_in(page, OWNER_EMAIL, OWNER_PASSWORD)
        pages = _console_pages(workspace["assistant"])
        for name, path in pages:
            page.goto(path)
            _settle(page)
            if name == "inbox":
                page.locator(".inbox-item").first.click()
                _settle(page)
            width = page.evaluate("document.documentElement.scrollWidth")
            if viewport_name == "phone" and width > PHONE["width"]:
                overflowing.append((path, width))
            page.screenshot(path=str(ARTIFACTS / f"{name}-{viewport_name}-{lang}.png"), full_page=True)
        context.close()
        admin_context = browser.new_context(base_url=app_server.url, viewport=viewport)
        admin = admin_context.new_page()
        admin.add_init_script(f"localStorage.setItem('chatai_lang', '{lang}')")
        _log_in(admin, ADMIN_EMAIL, ADMIN_PASSWORD)
        admin.goto("/admin/billing")
        _settle(admin)
        if viewport_name == "phone" and admin.evaluate("document.documentElement.scrollWidth") > PHONE["width"]:
            overflowing.append(("/admin/billing", admin.evaluate("document.documentElement.scrollWidth")))
        admin.screenshot(path=str(ARTIFACTS / f"admin-billing-{viewport_name}-{lang}.png"), full_page=True)
        admin_context.close()
    assert overflowing == []


def test_every_page_in_russian_has_no_english(
    browser: Browser, app_server: RunningApp, workspace: dict[str, str]
) -> None:
    """Item 6: every console page rendered in Russian shows no catalogue miss and no known English word."""
    _user_says(app_server, workspace, "ru-check", "Привет")
    context = browser.new_context(base_url=app_server.url, viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.add_init_script("localStorage.setItem('chatai_lang', 'ru')")
    _log_in(page, OWNER_EMAIL, OWNER_PASSWORD)
    english = _english_words() | set(RAW_VALUES)
    found: dict[str, list[str]] = {}
    for name, path in _console_pages(workspace["assistant"]):
        page.goto(path)
        _settle(page)
        if name == "inbox" and page.locator(".inbox-item").count():
            page.locator(".inbox-item").first.click()
            _settle(page)
        page.click("#user-menu")  # the user menu too (role, presence)
        page.wait_for_timeout(300)
        text = page.evaluate("""() => {
            const skip = new Set(["SCRIPT", "STYLE", "CODE"]);
            const out = [];
            const walk = (n) => { if (n.nodeType === 3) out.push(n.textContent);
              else if (n.nodeType === 1 && !skip.has(n.tagName) && n.id !== "embed-code") n.childNodes.forEach(walk); };
            walk(document.body); return out.join(" "); }""")
        page.keyboard.press("Escape")
        hits = sorted({w for w in english if re.search(rf"(?<![A-Za-z_]){re.escape(w)}(?![A-Za-z_])", text)})
        if hits:
            found[path] = hits
    context.close()
    assert found == {}
