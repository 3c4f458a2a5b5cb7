"""Assistant settings form; saving announces `assistant.updated` so running channels reload."""

from __future__ import annotations

import reflex as rx

from chatai_app.services import assistants
from chatai_app.services.errors import DomainError, ValidationFailed
from chatai_app.state.routing import id_after
from chatai_app.state.session import SessionState, assistant_in_route

TEXT_FIELDS = ("name", "system_prompt", "tone", "language", "provider", "model", "greeting")


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
    changes["handoff_settings"] = {"on_llm_failure": form.get("on_llm_failure", "apology")}
    return changes


class AssistantSettingsState(rx.State):
    values: dict[str, str] = {}
    knowledge_enabled: bool = True
    citations_enabled: bool = True
    errors: dict[str, str] = {}
    loaded: bool = False

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
        self.values["handoff_keywords"] = ", ".join(settings["handoff_keywords"])
        self.values["on_llm_failure"] = settings["handoff_settings"].get("on_llm_failure", "apology")
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
    async def save(self, form: dict[str, str]):
        session_state = await self.get_state(SessionState)
        form = {**form, **{k: self.values.get(k, "") for k in ("tone", "language", "provider", "on_llm_failure")}}
        form["knowledge_enabled"] = "on" if self.knowledge_enabled else ""
        form["citations_enabled"] = "on" if self.citations_enabled else ""
        self.errors = {}
        try:
            context = await session_state.require_context()
            await assistants.apply_settings(
                tenant_id=context.tenant_id,
                assistant_id=id_after(self.router.url.path, "assistants"),
                changes=_changes(form),
            )
        except ValidationFailed as exc:
            self.errors = exc.fields
            return rx.toast.error(session_state.message(exc))
        except DomainError as exc:
            return rx.toast.error(session_state.message(exc))
        return rx.toast.success(session_state.message("Saved"))
