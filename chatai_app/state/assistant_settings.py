"""Assistant settings form; saving announces `assistant.updated` so running channels reload."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from chatai_app.services import assistants, handoff, widget
from chatai_app.services.errors import DomainError, ValidationFailed
from chatai_app.services.permissions import Permission
from chatai_app.settings import get_settings
from chatai_app.state.routing import id_after
from chatai_app.state.session import SessionState, assistant_in_route, signed_in

TEXT_FIELDS = ("name", "system_prompt", "tone", "language", "provider", "model", "greeting", "strictness")


def _changes(form: dict[str, str]) -> dict[str, object]:
    """Form strings to typed settings; unparsable numbers are left as text so validation names them."""
    changes: dict[str, object] = {key: form.get(key, "") for key in TEXT_FIELDS}
    for key, cast in (("temperature", float), ("max_tokens", int)):
        try:
            changes[key] = cast(form.get(key, ""))
        except ValueError:
            changes[key] = form.get(key, "")
    changes["knowledge_enabled"] = form.get("knowledge_enabled") == "on"
    changes["citations_enabled"] = form.get("citations_enabled") == "on"
    changes["handoff_keywords"] = [k.strip() for k in form.get("handoff_keywords", "").split(",") if k.strip()]
    changes["handoff_settings"] = {
        "on_llm_failure": form.get("on_llm_failure", "apology"),
        "on_timeout": form.get("on_timeout", "ai"),
        "repeat_detection": form.get("repeat_detection") == "on",
        **_integers(form, "fallback_after", "wait_timeout_s", "priority"),
    }
    changes["widget_settings"] = {
        "title": form.get("widget_title", "").strip(),
        "colour": form.get("widget_colour", "").strip() or "#2563eb",
        "position": form.get("widget_position", "right"),
        "language": form.get("widget_language", "auto"),
        "handoff_button": form.get("handoff_button") == "on",
        "allowed_origins": [o.strip() for o in form.get("allowed_origins", "").split() if o.strip()],
    }
    return changes


def _integers(form: dict[str, str], *keys: str) -> dict[str, object]:
    """Numbers as ints; anything else is passed on as text so validation names the field."""
    values: dict[str, object] = {}
    for key in keys:
        raw = form.get(key, "").strip()
        values[key] = int(raw) if raw.lstrip("-").isdigit() else raw
    return values


class AssistantSettingsState(rx.State):
    required_permission: ClassVar[Permission] = Permission.assistants_manage
    values: dict[str, str] = {}
    knowledge_enabled: bool = True
    citations_enabled: bool = True
    repeat_detection: bool = True
    handoff_button: bool = True
    embed_code: str = ""
    chat_page_url: str = ""
    errors: dict[str, str] = {}
    loaded: bool = False
    assistant_name: str = ""

    @rx.event
    async def copied(self):
        return rx.toast.success((await self.get_state(SessionState)).message("Copied"))

    @rx.event
    async def load(self):
        session_state = await self.get_state(SessionState)
        try:
            assistant = await assistant_in_route(self)
        except DomainError as exc:
            return rx.toast.error(session_state.message(exc))
        settings = assistants.settings_of(assistant)
        self.values = {k: str(settings[k]) for k in (*TEXT_FIELDS, "temperature", "max_tokens")}
        self.values["id"] = settings["id"]
        self.assistant_name = assistant.name
        self.values["handoff_keywords"] = ", ".join(settings["handoff_keywords"])
        rules = handoff.settings_for(assistant)
        for key in ("on_llm_failure", "on_timeout", "fallback_after", "wait_timeout_s", "priority"):
            self.values[key] = str(rules[key])
        self.repeat_detection = bool(rules["repeat_detection"])
        look = widget.settings_for(assistant)
        self.values.update(
            widget_title=look["title"], widget_colour=look["colour"], widget_position=look["position"],
            widget_language=look["language"], allowed_origins="\n".join(look["allowed_origins"]),
        )  # fmt: skip
        self.handoff_button = bool(look["handoff_button"])
        base = get_settings().base_url.rstrip("/")
        self.embed_code = f'<script src="{base}/widget.js" data-assistant="{assistant.id}" async></script>'
        self.chat_page_url = f"{base}/widget/chat/{assistant.id}"
        self.knowledge_enabled, self.citations_enabled = settings["knowledge_enabled"], settings["citations_enabled"]
        self.errors, self.loaded = {}, True
        return None

    @rx.event
    def set_choice(self, field: str, value: str) -> None:
        self.values[field] = value

    @rx.event
    def set_knowledge_enabled(self, value: bool) -> None:
        self.knowledge_enabled = value

    @rx.event
    def set_citations_enabled(self, value: bool) -> None:
        self.citations_enabled = value

    @rx.event
    def set_repeat_detection(self, value: bool) -> None:
        self.repeat_detection = value

    @rx.event
    def set_handoff_button(self, value: bool) -> None:
        self.handoff_button = value

    @rx.event
    async def save(self, form: dict[str, str]):
        session_state = await self.get_state(SessionState)
        choices = ("tone", "language", "provider", "on_llm_failure", "on_timeout", "widget_position", "widget_language",
                   "strictness")  # fmt: skip
        form = {**form, **{k: self.values.get(k, "") for k in choices}}
        form["repeat_detection"] = "on" if self.repeat_detection else ""
        form["handoff_button"] = "on" if self.handoff_button else ""
        form["knowledge_enabled"] = "on" if self.knowledge_enabled else ""
        form["citations_enabled"] = "on" if self.citations_enabled else ""
        self.errors = {}
        try:
            _, context = await signed_in(self)
            await assistants.apply_settings(
                tenant_id=context.tenant_id,
                assistant_id=id_after(self.router.url.path, "assistants"),
                changes=_changes(form),
            )
        except ValidationFailed as exc:
            self.errors = session_state.field_messages(exc)
            unplaced = [v for k, v in self.errors.items() if k == "handoff_settings"]  # no single field to show it
            return rx.toast.error("; ".join(unplaced)) if unplaced else None
        except DomainError as exc:
            return rx.toast.error(session_state.message(exc))
        self.assistant_name = form.get("name", self.assistant_name).strip() or self.assistant_name
        return rx.toast.success(session_state.message("Saved"))
