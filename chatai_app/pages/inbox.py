"""/inbox — the operators' workplace: queue, live dialog, take / reply / release / close, notes,
canned replies, colleagues' presence; the tab title and a short sound announce new dialogs."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.components.layout import app_shell
from chatai_app.state.inbox import InboxState as S
from chatai_app.state.session import SessionState

STATUS_COLOURS = {"waiting": "orange", "operator": "green", "ai": "blue", "closed": "gray"}
PRESENCE_COLOURS = {"online": "green", "away": "amber", "offline": "gray"}

# Title counter, a short beep (Web Audio, no file) and transcript scrolling, called from the state.
PAGE_SCRIPT = """
window.chataiTitle = function (n) { document.title = (n > 0 ? "(" + n + ") " : "") + "Inbox · ChatAI"; };
window.chataiNotify = function (n) {
  window.chataiTitle(n);
  try {
    var ctx = window.chataiAudio || (window.chataiAudio = new (window.AudioContext || window.webkitAudioContext)());
    var osc = ctx.createOscillator(), gain = ctx.createGain();
    osc.frequency.value = 880; gain.gain.value = 0.05; osc.connect(gain); gain.connect(ctx.destination);
    osc.start(); osc.stop(ctx.currentTime + 0.15);
  } catch (e) {}
};
window.chataiScrollTranscript = function () {
  setTimeout(function () {
    var el = document.getElementById("inbox-transcript");
    if (el) el.scrollTop = el.scrollHeight;
  }, 50);
};
"""


def _status_badge(status: rx.Var) -> rx.Component:
    return rx.match(
        status,
        *[(name, rx.badge(name, color_scheme=colour)) for name, colour in STATUS_COLOURS.items()],
        rx.badge(status),
    )


def _tab(view: str, label: str, count: rx.Var | None = None) -> rx.Component:
    badge = rx.cond(count > 0, rx.badge(count, color_scheme="red", variant="solid")) if count is not None else ""
    return rx.button(
        t(label),
        badge,
        variant=rx.cond(S.view == view, "solid", "soft"),
        size="1",
        on_click=S.set_view(view),
        id=f"inbox-tab-{view}",
    )


def _item(item: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.text(item["user"], weight="bold", size="2", trim="both"),
            rx.spacer(),
            rx.cond(item["unread"] != "", rx.badge(item["unread"], color_scheme="red", variant="solid")),
            align="center",
        ),
        rx.hstack(
            rx.badge(item["channel"], variant="outline"),
            _status_badge(item["status"]),
            rx.cond(item["waited"] != "", rx.text(item["waited"], size="1", color_scheme="gray")),
            rx.cond(item["priority"] != "0", rx.badge("P", item["priority"], color_scheme="purple")),
            spacing="1",
        ),
        rx.text(item["preview"], size="1", color_scheme="gray", trim="both"),
        padding="0.5em",
        border_radius="8px",
        cursor="pointer",
        background=rx.cond(S.selected == item["id"], "var(--accent-3)", "transparent"),
        on_click=S.open_dialog(item["id"]),
        class_name="inbox-item",
        custom_attrs={"data-dialog": item["id"], "data-status": item["status"]},
    )


def _list() -> rx.Component:
    return rx.card(
        rx.hstack(
            _tab("queue", "queue", S.queue_count),
            _tab("mine", "my_dialogs", S.mine_count),
            _tab("active", "active"),
            _tab("all", "all"),
            wrap="wrap",
            spacing="1",
        ),
        rx.text(t("queue_size"), ": ", rx.text.span(S.queue_count, id="queue-count"), size="1", color_scheme="gray"),
        rx.vstack(
            rx.foreach(S.items, _item),
            rx.cond(S.items.length() == 0, rx.text(t("nothing_here"), size="2", color_scheme="gray")),
            spacing="1",
            width="100%",
            id="inbox-list",
            max_height="70vh",
            overflow_y="auto",
        ),
    )


def _message(message: rx.Var) -> rx.Component:
    is_note = message["role"] == "note"
    return rx.box(
        rx.hstack(
            rx.badge(message["role"], color_scheme=rx.cond(is_note, "amber", "gray")),
            rx.text(message["time"], size="1", color_scheme="gray"),
        ),
        rx.text(message["content"], white_space="pre-wrap", size="2"),
        rx.cond(
            message["sources"] != "", rx.text(t("sources"), ": ", message["sources"], size="1", color_scheme="gray")
        ),
        background=rx.cond(is_note, "var(--amber-3)", rx.cond(message["role"] == "user", "var(--gray-3)", "none")),
        padding="0.4em 0.6em",
        border_radius="8px",
        class_name="inbox-message",
        custom_attrs={"data-role": message["role"]},
    )


def _actions() -> rx.Component:
    status = S.header.get("status", "")
    return rx.hstack(
        rx.cond(
            (status == "waiting") | (status == "ai") | ((status == "operator") & (S.header.get("mine", "") == "")),
            rx.button(t("take"), on_click=S.take, id="inbox-take", color_scheme="green"),
        ),
        rx.cond(
            (status == "operator") | (status == "waiting"),
            rx.button(t("release_to_ai"), on_click=S.release, id="inbox-release", variant="soft"),
        ),
        rx.cond(
            status != "closed",
            rx.button(t("close_dialog"), on_click=S.close, id="inbox-close", variant="soft", color_scheme="gray"),
        ),
    )


def _composer() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.cond(S.visitor_typing, rx.text(t("visitor_typing"), size="1", color_scheme="gray", id="visitor-typing")),
            rx.hstack(
                rx.switch(checked=S.note_mode, on_change=S.set_note_mode, name="note_mode", id="inbox-note-mode"),
                rx.text(t("internal_note"), size="2"),
                rx.spacer(),
                rx.select.root(
                    rx.select.trigger(placeholder=t("canned_replies")),
                    rx.select.content(rx.foreach(S.canned, lambda c: rx.select.item(c["title"], value=c["id"]))),
                    value="",
                    on_change=S.use_canned,
                ),
                width="100%",
                align="center",
            ),
            rx.text_area(
                name="text",
                value=S.draft,
                on_change=S.set_draft.debounce(300),
                placeholder=rx.cond(S.note_mode, t("note_placeholder"), t("reply_placeholder")),
                rows="3",
                width="100%",
                id="inbox-draft",
                background=rx.cond(S.note_mode, "var(--amber-2)", "none"),
            ),
            rx.button(rx.cond(S.note_mode, t("add_note"), t("send")), type="submit", id="inbox-send"),
            width="100%",
        ),
        on_submit=S.send,
        reset_on_submit=False,
        width="100%",
    )


def _dialog() -> rx.Component:
    return rx.card(
        rx.cond(
            S.selected != "",
            rx.vstack(
                rx.hstack(
                    rx.heading(S.header.get("user", ""), size="4"),
                    _status_badge(S.header.get("status", "")),
                    rx.badge(S.header.get("channel", ""), variant="outline"),
                    rx.text(S.header.get("assistant", ""), size="1", color_scheme="gray"),
                    rx.cond(S.header.get("operator", "") != "", rx.text("· ", S.header.get("operator", ""), size="1")),
                    rx.cond(
                        S.header.get("contact", "") != "", rx.badge(S.header.get("contact", ""), color_scheme="cyan")
                    ),
                    align="center",
                    wrap="wrap",
                ),
                _actions(),
                rx.vstack(
                    rx.foreach(S.messages, _message),
                    id="inbox-transcript",
                    width="100%",
                    max_height="55vh",
                    overflow_y="auto",
                    spacing="2",
                ),
                _composer(),
                width="100%",
            ),
            rx.text(t("pick_dialog"), color_scheme="gray"),
        ),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", size="1", id="inbox-error")),
    )


def _colleague(person: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.match(
            person["status"],
            *[(s, rx.badge(s, color_scheme=c)) for s, c in PRESENCE_COLOURS.items()],
            rx.badge(person["status"]),
        ),
        rx.text(person["name"], size="2"),
        class_name="colleague",
    )


def _side() -> rx.Component:
    return rx.vstack(
        rx.card(
            rx.heading(t("my_status"), size="3"),
            rx.select(["online", "away"], value=S.my_status, on_change=S.set_my_status, id="my-status"),
            rx.heading(t("colleagues"), size="3", margin_top="0.6em"),
            rx.foreach(S.colleagues, _colleague),
            rx.cond(S.colleagues.length() == 0, rx.text(t("no_colleagues"), size="1", color_scheme="gray")),
            width="100%",
        ),
        rx.card(
            rx.heading(t("canned_replies"), size="3"),
            rx.foreach(
                S.canned,
                lambda c: rx.hstack(
                    rx.text(c["title"], size="2", weight="medium"),
                    rx.spacer(),
                    rx.icon_button(
                        rx.icon("trash-2", size=14), size="1", variant="ghost", on_click=S.delete_canned(c["id"])
                    ),
                    width="100%",
                ),
            ),
            rx.form(
                rx.vstack(
                    rx.input(name="title", placeholder=t("title"), id="canned-title", size="1"),
                    rx.text_area(name="content", placeholder=t("text"), rows="2", size="1"),
                    rx.button(t("add"), size="1", type="submit"),
                    width="100%",
                ),
                on_submit=S.add_canned,
                reset_on_submit=True,
            ),
            width="100%",
        ),
        width="100%",
    )


def inbox_page() -> rx.Component:
    return app_shell(
        rx.script(PAGE_SCRIPT),
        rx.moment(interval=20_000, on_change=S.heartbeat, display="none"),
        rx.heading(t("inbox"), size="7"),
        rx.grid(
            _list(),
            _dialog(),
            _side(),
            columns="minmax(240px, 1fr) minmax(360px, 2fr) minmax(200px, 1fr)",
            spacing="4",
            width="100%",
        ),
    )


def register(app: rx.App) -> None:
    app.add_page(inbox_page, route="/inbox", title="Inbox · ChatAI", on_load=[SessionState.guard, S.load])
