"""/inbox — the operators' workplace in three panes: conversations (filters, unread badges) / the transcript
with a sticky composer (Enter sends, Shift+Enter new line, '/' for canned replies, notes set apart) / the
visitor's details (channel, language, earlier dialogs) and actions. On phones: list -> conversation -> details.
The tab title and a short sound announce new dialogs."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import enum_label, t
from chatai_app.components.layout import app_shell, empty_state
from chatai_app.state.inbox import InboxState as S
from chatai_app.state.session import SessionState

STATUS_COLOURS = {"waiting": "orange", "operator": "green", "ai": "blue", "closed": "gray"}
PRESENCE_COLOURS = {"online": "green", "away": "amber", "offline": "gray"}

# Title counter, a short beep (Web Audio, no file), the composer's keys and the transcript that sticks to the
# bottom unless the operator scrolled up (then a "new messages" button appears).
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
(function () {
  var atBottom = true, seen = -1, seenDialog = "", lastTop = 0;
  function box() { return document.getElementById("inbox-transcript"); }
  function pill(show) {
    var p = document.getElementById("new-messages");
    if (p) p.setAttribute("data-show", show ? "yes" : "no");
  }
  window.chataiStick = function (force) {
    var el = box();
    if (!el) return;
    if (force) atBottom = true;
    if (atBottom) { el.scrollTop = el.scrollHeight; pill(false); }
  };
  // Only the operator scrolling up leaves the bottom: a scroll event dispatched after our own jump to the
  // bottom may find more messages already drawn below, and must not read as "scrolled away".
  document.addEventListener("scroll", function (e) {
    var el = box();
    if (e.target !== el) return;
    if (el.scrollHeight - el.scrollTop - el.clientHeight < 40) atBottom = true;
    else if (el.scrollTop < lastTop) atBottom = false;
    lastTop = el.scrollTop;
    if (atBottom) pill(false);
  }, true);
  setInterval(function () {
    var el = box();
    if (!el) { seen = -1; return; }
    var n = el.querySelectorAll(".bubble").length, dialog = el.getAttribute("data-dialog") || "";
    if (dialog !== seenDialog) {
      seenDialog = dialog; seen = n; atBottom = true; el.scrollTop = el.scrollHeight; pill(false); return;
    }
    if (n !== seen) {
      var grew = n > seen && seen >= 0;
      seen = n;
      if (atBottom) el.scrollTop = el.scrollHeight; else if (grew) pill(true);
    }
  }, 150);
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("#new-messages")) window.chataiStick(true);
  });
  document.addEventListener("keydown", function (e) {
    if (!e.target || e.target.id !== "inbox-draft") return;
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      var first = document.querySelector(".canned-suggest-item");
      if (first && e.target.value.charAt(0) === "/") { first.click(); return; }
      var send = document.getElementById("inbox-send");
      if (send && !send.disabled) send.click();
    }
  });
})();
"""


def _status_badge(status: rx.Var) -> rx.Component:
    return rx.match(
        status,
        *[(name, rx.badge(t(f"dialog.{name}"), color_scheme=colour)) for name, colour in STATUS_COLOURS.items()],
        rx.badge(status),
    )


def visitor_label(item: rx.Var) -> rx.Component:
    """Name or contact once given, else 'Visitor 17'."""
    return rx.cond(item["user"] != "", rx.text.span(item["user"]), rx.text.span(t("visitor"), " ", item["visitor_no"]))


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
            rx.text(visitor_label(item), weight="bold", size="2", class_name="ellipsis visitor-label", flex="1"),
            rx.cond(
                item["waited"] != "",
                rx.text(
                    item["waited"],
                    " ",
                    rx.cond(item["waited_unit"] == "min", t("unit_min"), t("unit_s")),
                    size="1",
                    color_scheme="gray",
                ),
            ),
            rx.cond(
                item["unread"] != "",
                rx.badge(item["unread"], color_scheme="red", variant="solid", radius="full", class_name="unread-badge"),
            ),
            align="center",
            spacing="2",
        ),
        rx.hstack(
            rx.badge(enum_label(item["channel"], "channel"), variant="outline", size="1"),
            _status_badge(item["status"]),
            rx.cond(item["priority"] != "0", rx.badge("P", item["priority"], color_scheme="purple", size="1")),
            rx.text(item["assistant"], size="1", color_scheme="gray", class_name="ellipsis"),
            spacing="1",
            align="center",
            margin_y="2px",
        ),
        rx.text(item["preview"], class_name="inbox-item-preview"),
        on_click=S.open_dialog(item["id"]),
        class_name="inbox-item",
        custom_attrs={
            "data-dialog": item["id"],
            "data-status": item["status"],
            "data-selected": rx.cond(S.selected == item["id"], "yes", "no"),
        },
    )


def _list_pane() -> rx.Component:
    return rx.box(
        rx.box(
            rx.hstack(
                rx.heading(t("inbox"), size="4", flex="1"),
                rx.text(
                    t("queue_size"), ": ", rx.text.span(S.queue_count, id="queue-count"), size="1", color_scheme="gray"
                ),
                align="center",
            ),
            rx.hstack(
                _tab("queue", "queue", S.queue_count),
                _tab("mine", "my_dialogs", S.mine_count),
                _tab("active", "active"),
                _tab("all", "all"),
                wrap="wrap",
                spacing="1",
            ),
            class_name="pane-head",
        ),
        rx.box(
            rx.foreach(S.items, _item),
            rx.cond(S.items.length() == 0, empty_state("inbox", t("inbox_empty_queue"))),
            id="inbox-list",
            class_name="pane-body",
        ),
        class_name="inbox-pane inbox-list",
    )


def _message(message: rx.Var) -> rx.Component:
    return rx.box(
        rx.box(enum_label(message["role"], "msg"), " · ", message["time"], class_name="bubble-meta"),
        rx.text(message["content"], white_space="pre-wrap", size="2"),
        rx.cond(
            message["sources"] != "", rx.text(t("sources"), ": ", message["sources"], size="1", color_scheme="gray")
        ),
        class_name="bubble inbox-message",
        custom_attrs={"data-role": message["role"]},
    )


def _actions() -> rx.Component:
    status = S.header.get("status", "")
    return rx.hstack(
        rx.cond(
            (status == "waiting") | (status == "ai") | ((status == "operator") & (S.header.get("mine", "") == "")),
            rx.button(t("take"), on_click=S.take, id="inbox-take", color_scheme="green", size="2"),
        ),
        rx.cond(
            (status == "operator") | (status == "waiting"),
            rx.button(t("release_to_ai"), on_click=S.release, id="inbox-release", variant="soft", size="2"),
        ),
        rx.cond(
            status != "closed",
            rx.button(
                t("close_dialog"), on_click=S.close, id="inbox-close", variant="soft", color_scheme="gray", size="2"
            ),
        ),
        wrap="wrap",
        spacing="2",
    )


def _canned_suggestions() -> rx.Component:
    return rx.cond(
        S.canned_matches.length() > 0,
        rx.box(
            rx.foreach(
                S.canned_matches,
                lambda c: rx.box(
                    rx.text(c["title"], weight="medium", size="2"),
                    rx.text(c["content"], size="1", color_scheme="gray", class_name="ellipsis"),
                    on_click=S.use_canned(c["id"]),
                    class_name="canned-suggest-item",
                ),
            ),
            class_name="canned-suggest",
            id="canned-suggest",
        ),
    )


def _composer() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.cond(S.visitor_typing, rx.text(t("visitor_typing"), size="1", color_scheme="gray", id="visitor-typing")),
            _canned_suggestions(),
            rx.text_area(
                name="text",
                value=S.draft,
                on_change=S.set_draft.debounce(250),
                placeholder=rx.cond(S.note_mode, t("note_placeholder"), t("reply_placeholder")),
                rows="3",
                width="100%",
                id="inbox-draft",
                resize="vertical",
            ),
            rx.el.input(type="hidden", name="draft_id", value=S.draft_id, id="inbox-draft-id"),
            rx.hstack(
                rx.switch(checked=S.note_mode, on_change=S.set_note_mode, name="note_mode", id="inbox-note-mode"),
                rx.text(t("internal_note"), size="2"),
                rx.text(
                    t("composer_hint"), size="1", color_scheme="gray", class_name="desktop-only ellipsis", flex="1"
                ),
                rx.spacer(),
                rx.button(
                    rx.cond(S.sending, t("sending"), rx.cond(S.note_mode, t("add_note"), t("send"))),
                    type="submit",
                    id="inbox-send",
                    disabled=S.sending,
                    color_scheme=rx.cond(S.note_mode, "amber", "indigo"),
                ),
                width="100%",
                align="center",
            ),
            width="100%",
            spacing="2",
        ),
        on_submit=S.send,
        reset_on_submit=False,
        width="100%",
        class_name="composer",
        custom_attrs={"data-note": rx.cond(S.note_mode, "yes", "no")},
    )


def _chat_pane() -> rx.Component:
    return rx.box(
        rx.cond(
            S.selected != "",
            rx.fragment(
                rx.box(
                    rx.hstack(
                        rx.icon_button(
                            rx.icon("arrow-left"),
                            variant="ghost",
                            on_click=S.show_pane("list"),
                            class_name="phone-only",
                            id="inbox-back",
                            aria_label="Back",
                        ),
                        rx.box(
                            rx.text(
                                visitor_label(S.header),
                                weight="bold",
                                size="3",
                                class_name="ellipsis",
                                id="inbox-visitor",
                            ),
                            rx.hstack(
                                _status_badge(S.header.get("status", "")),
                                rx.badge(enum_label(S.header.get("channel", ""), "channel"), variant="outline"),
                                rx.text(
                                    S.header.get("assistant", ""), size="1", color_scheme="gray", class_name="ellipsis"
                                ),
                                spacing="1",
                                align="center",
                            ),
                            flex="1",
                            min_width="0",
                        ),
                        rx.icon_button(
                            rx.icon("info"),
                            variant="soft",
                            on_click=S.show_pane("details"),
                            id="inbox-details-toggle",
                            aria_label="Details",
                            class_name="details-toggle",
                        ),
                        align="center",
                        width="100%",
                    ),
                    _actions(),
                    class_name="pane-head",
                ),
                rx.box(
                    rx.foreach(S.messages, _message),
                    rx.button(
                        t("new_messages"),
                        id="new-messages",
                        class_name="new-messages",
                        size="1",
                        radius="full",
                        custom_attrs={"data-show": "no"},
                    ),
                    id="inbox-transcript",
                    class_name="transcript",
                    custom_attrs={"data-dialog": S.selected},
                ),
                _composer(),
            ),
            rx.center(empty_state("messages-square", t("inbox_pick_hint")), flex="1", padding="2em"),
        ),
        class_name="inbox-pane inbox-chat",
    )


def _row(label: rx.Var, value: rx.Component | rx.Var) -> rx.Component:
    return rx.box(
        rx.text(label, color_scheme="gray"),
        rx.text(value, class_name="wrap-anywhere", align="right"),
        class_name="details-row",
    )


def _colleague(person: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.match(
            person["status"],
            *[(s, rx.badge(t(f"presence.{s}"), color_scheme=c)) for s, c in PRESENCE_COLOURS.items()],
            rx.badge(person["status"]),
        ),
        rx.text(person["name"], size="2"),
        class_name="colleague",
    )


def _canned_manager() -> rx.Component:
    return rx.box(
        rx.text(t("manage_canned"), weight="bold", size="2"),
        rx.foreach(
            S.canned,
            lambda c: rx.hstack(
                rx.text("/", c["title"], size="2", class_name="ellipsis", flex="1"),
                rx.icon_button(
                    rx.icon("trash-2", size=14),
                    size="1",
                    variant="ghost",
                    color_scheme="red",
                    on_click=S.delete_canned(c["id"]),
                    aria_label="Delete",
                ),
                width="100%",
                align="center",
            ),
        ),
        rx.form(
            rx.vstack(
                rx.input(name="title", placeholder=t("title"), id="canned-title", size="2", width="100%"),
                rx.text_area(name="content", placeholder=t("text"), rows="2", size="2", width="100%"),
                rx.button(t("add"), size="1", type="submit", variant="soft"),
                width="100%",
                spacing="2",
            ),
            on_submit=S.add_canned,
            reset_on_submit=True,
        ),
        margin_top="1em",
    )


def _details_pane() -> rx.Component:
    return rx.box(
        rx.box(
            rx.hstack(
                rx.icon_button(
                    rx.icon("arrow-left"),
                    variant="ghost",
                    on_click=S.show_pane("chat"),
                    class_name="details-back",
                    aria_label="Back",
                ),
                rx.heading(t("details"), size="3"),
                align="center",
            ),
            class_name="pane-head",
        ),
        rx.box(
            rx.cond(
                S.selected != "",
                rx.box(
                    _row(t("visitor"), visitor_label(S.header)),
                    _row(t("channel"), enum_label(S.header.get("channel", ""), "channel")),
                    _row(t("language"), enum_label(S.header.get("language", ""), "lang")),
                    rx.cond(S.header.get("contact", "") != "", _row(t("contact"), S.header.get("contact", ""))),
                    rx.cond(S.header.get("page", "") != "", _row(t("page_label"), S.header.get("page", ""))),
                    _row(t("assistant"), S.header.get("assistant", "")),
                    _row(t("status"), _status_badge(S.header.get("status", ""))),
                    rx.cond(S.header.get("operator", "") != "", _row(t("assigned_to"), S.header.get("operator", ""))),
                    rx.text(t("earlier_dialogs"), weight="bold", size="2", margin_top="1em"),
                    rx.foreach(
                        S.earlier,
                        lambda e: rx.box(
                            rx.hstack(rx.text(e["when"], size="1"), _status_badge(e["status"]), spacing="2"),
                            on_click=S.open_dialog(e["id"]),
                            class_name="inbox-item",
                        ),
                    ),
                    rx.cond(S.earlier.length() == 0, rx.text(t("no_earlier_dialogs"), size="1", color_scheme="gray")),
                    id="visitor-details",
                ),
            ),
            rx.text(t("colleagues"), weight="bold", size="2", margin_top="1em"),
            rx.foreach(S.colleagues, _colleague),
            rx.cond(S.colleagues.length() == 0, rx.text(t("no_colleagues"), size="1", color_scheme="gray")),
            _canned_manager(),
            class_name="pane-body",
            padding="1em",
        ),
        class_name="inbox-pane inbox-details",
    )


def inbox_page() -> rx.Component:
    return app_shell(
        rx.script(PAGE_SCRIPT),
        rx.moment(interval=20_000, on_change=S.heartbeat, display="none"),
        rx.box(
            _list_pane(),
            _chat_pane(),
            _details_pane(),
            class_name="inbox",
            id="inbox",
            custom_attrs={"data-pane": S.pane},
        ),
        active="inbox",
        wide=True,
    )


def register(app: rx.App) -> None:
    app.add_page(inbox_page, route="/inbox", title="Inbox · ChatAI", on_load=[SessionState.guard, S.load])
