"""/welcome — the public landing page (issue 14 item 14): the product in EN/RU and a sign-up call to action. Signed-out
visitors of "/" are sent here. The page and the sign-up page report a visit to `/api/v1/funnel/events` with a random
id kept in the browser's local storage (`beacon`); nothing else about the visitor is stored."""

from __future__ import annotations

import json

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.components.layout import language_switch

VISITOR_KEY = "chatai_visitor"

_BEACON_JS = """(function(){try{var s=window.localStorage,k=%(key)s,id=s.getItem(k);
if(!id||!/^[A-Za-z0-9-]{8,64}$/.test(id)){id=(window.crypto&&crypto.randomUUID)?crypto.randomUUID():
(Date.now().toString(36)+'-'+Math.random().toString(36).slice(2,12));s.setItem(k,id);}
var l=(s.getItem('chatai_lang')||'').replace(/"/g,''),f=document.getElementById('funnel-visitor-id');if(f){f.value=id;}
fetch('/api/v1/funnel/events',{method:'POST',headers:{'Content-Type':'application/json'},credentials:'omit',
keepalive:true,body:JSON.stringify({visitor_id:id,event:%(event)s,lang:(l==='ru'||l==='en')?l:''})})
.catch(function(){});}catch(e){}})()"""


def beacon(event: str) -> rx.Component:
    """An invisible element that reports `event` (landing_visit | signup_view) once the page is shown, and puts the
    anonymous id into the sign-up form's hidden `visitor_id` field when the page has one."""
    script = _BEACON_JS % {"key": json.dumps(VISITOR_KEY), "event": json.dumps(event)}
    return rx.box(display="none", on_mount=rx.call_script(script.replace("\n", "")), class_name="funnel-beacon")


FEATURES = (("book-open-check", "landing.f1"), ("send", "landing.f2"), ("headset", "landing.f3"),
            ("chart-column", "landing.f4"))  # fmt: skip


def _feature(icon: str, key: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon(icon, size=22, color="var(--accent-9)"),
            rx.text(t(f"{key}_title"), weight="bold", size="3"),
            rx.text(t(key), size="2", color_scheme="gray"),
            spacing="2",
        ),
        class_name="landing-feature",
    )


def _header() -> rx.Component:
    return rx.hstack(
        rx.hstack(
            rx.icon("bot-message-square", size=26, color="var(--accent-9)"),
            rx.text("ChatAI", weight="bold", size="5"),
            align="center",
            spacing="2",
        ),
        rx.spacer(),
        language_switch(),
        rx.link(t("sign_in"), href="/login", size="2", id="landing-login"),
        align="center",
        spacing="3",
        width="100%",
    )


def landing_page() -> rx.Component:
    return rx.box(
        rx.vstack(
            _header(),
            rx.vstack(
                rx.heading(t("landing.title"), size="8", id="landing-title", class_name="landing-title"),
                rx.text(t("landing.lead"), size="4", color_scheme="gray"),
                rx.hstack(
                    rx.link(
                        rx.button(t("landing.cta"), size="4", id="landing-signup"), href="/signup", underline="none"
                    ),
                    rx.link(
                        rx.button(t("landing.sign_in"), size="4", variant="soft", id="landing-signin"),
                        href="/login",
                        underline="none",
                    ),
                    spacing="3",
                    wrap="wrap",
                ),
                spacing="5",
                padding_y="3em",
                max_width="46em",
            ),
            rx.box(*[_feature(icon, key) for icon, key in FEATURES], class_name="grid-2", width="100%"),
            rx.text(t("landing.open_source"), size="2", weight="medium"),
            rx.text(t("landing.privacy"), size="1", color_scheme="gray", id="landing-privacy"),
            beacon("landing_visit"),
            spacing="5",
            width="100%",
            max_width="1080px",
            margin="0 auto",
            padding="1.25em",
        ),
        min_height="100vh",
        id="landing",
    )


def register(app: rx.App) -> None:
    app.add_page(landing_page, route="/welcome", title="ChatAI — AI assistants with live operators")
