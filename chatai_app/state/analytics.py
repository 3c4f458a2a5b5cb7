"""The analytics dashboard's state (issue 14): the chosen period, and the figures shaped for the charts. Loading runs
as a background event (the queries scan a period's messages and must not hold the page's event queue)."""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx

from chatai_app.db import session_scope
from chatai_app.services import analytics
from chatai_app.services.errors import AuthenticationRequired, DomainError, PermissionDenied, ValidationFailed
from chatai_app.services.permissions import Permission
from chatai_app.state.period import PeriodMixin, period_window
from chatai_app.state.session import SessionState, context_of

CHANNELS, OUTCOMES = analytics.CHANNELS, analytics.OUTCOMES  # for the page's chart series and rows
TIME_ZONES = ("UTC", "Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Omsk",
              "Asia/Novosibirsk", "Asia/Irkutsk", "Asia/Vladivostok", "Europe/London", "Europe/Berlin",
              "America/New_York")  # fmt: skip


def _rub(minor: int) -> str:
    return f"{minor / 100:,.2f}".replace(",", " ") + " ₽"


UNITS = {"en": ("s", "min", "h"), "ru": ("с", "мин", "ч")}


def _duration(seconds: float | None) -> dict[str, str]:
    """A duration in both interface languages ("—" when there is none)."""
    if seconds is None:
        return {"en": "—", "ru": "—"}
    whole, shown = round(seconds), {}
    for lang, (s, m, h) in UNITS.items():
        if whole < 60:
            shown[lang] = f"{whole} {s}"
        elif whole < 3600:
            shown[lang] = f"{whole // 60} {m} {whole % 60:02d} {s}"
        else:
            shown[lang] = f"{whole // 3600} {h} {whole % 3600 // 60:02d} {m}"
    return shown


def _level(count: int, top: int) -> int:
    """0 (none) .. 4 (the busiest) for the heat map's shade."""
    return 0 if not count or not top else 1 + min(3, int(4 * count / (top + 1)))


class AnalyticsState(PeriodMixin, rx.State):
    required_permission: ClassVar[Permission] = Permission.billing_read

    tz: str = "UTC"
    loading: bool = False
    denied: str = ""
    error: str = ""

    daily: list[dict[str, Any]] = []
    channels: list[dict[str, Any]] = []  # {"channel", "dialogs", "messages"}
    total_dialogs: int = 0
    total_messages: int = 0
    outcomes: list[dict[str, Any]] = [{"key": o, "count": 0, "pct": 0} for o in analytics.OUTCOMES]
    outcome_total: int = 0
    median_response: dict[str, str] = {"en": "—", "ru": "—"}
    first_responses: int = 0
    operators: list[dict[str, str]] = []
    hour_bars: list[dict[str, Any]] = []  # {"hour": "09", "messages": n}
    heat: list[list[int]] = []  # [weekday][hour] shade 0..4
    heat_counts: list[list[int]] = []
    spend: list[dict[str, str]] = []
    total_spent: str = _rub(0)
    feedback_up: int = 0
    feedback_down: int = 0

    @rx.var
    def time_zones(self) -> list[str]:
        return list(TIME_ZONES)

    @rx.event
    def choose_days(self, value: str | list[str]):
        return AnalyticsState.load if self._pick_days(value) else None

    @rx.event
    def choose_tz(self, value: str):
        self.tz = value if value in TIME_ZONES else "UTC"
        return AnalyticsState.load

    @rx.event
    def apply_dates(self, form: dict[str, str]):
        self._take_dates(form)
        return AnalyticsState.load

    @rx.event(background=True)
    async def load(self):
        async with self:
            session_state = await self.get_state(SessionState)
            token, self.loading, self.denied, self.error = session_state.session_token, True, "", ""
            choice = (self.days, self.date_from, self.date_to, self.tz)
        try:
            context = await context_of(token, self.required_permission)
            window = period_window(*choice)
            async with session_scope() as session:
                board = await analytics.dashboard(session=session, tenant_id=context.tenant_id, window=window)
        except AuthenticationRequired:
            async with self:
                self.loading = False
            yield rx.redirect("/login")
            return
        except DomainError as exc:
            async with self:
                session_state = await self.get_state(SessionState)
                message = session_state.message(exc)
                self.loading = False
                if isinstance(exc, PermissionDenied):
                    self.denied = message
                elif isinstance(exc, ValidationFailed):
                    self.error = "; ".join(session_state.field_messages(exc).values())
                else:
                    self.error = message
            return
        async with self:
            self._show(board)
            self.loading = False

    def _show(self, board: analytics.Dashboard) -> None:
        window = board.period
        self._show_period(window, window.tz)
        self.daily = board.daily
        self.channels = [{"channel": c, **v} for c, v in board.channels.items() if v["dialogs"] or v["messages"]]
        self.total_dialogs = sum(v["dialogs"] for v in board.channels.values())
        self.total_messages = sum(v["messages"] for v in board.channels.values())
        self.outcome_total = board.total_outcomes
        self.outcomes = [
            {"key": o, "count": board.outcomes[o], "pct": round(100 * board.share(o))} for o in analytics.OUTCOMES
        ]
        self.median_response = _duration(board.median_first_response_s)
        self.first_responses = board.first_responses
        self.operators = [
            {"name": o.name, "count": str(o.count), **{f"median_{k}": v for k, v in _duration(o.median_s).items()}}
            for o in board.operators
        ]
        per_hour = [sum(day[h] for day in board.hours) for h in range(24)]
        self.hour_bars = [{"hour": f"{h:02d}", "messages": n} for h, n in enumerate(per_hour)]
        top = max((n for day in board.hours for n in day), default=0)
        self.heat = [[_level(n, top) for n in day] for day in board.hours]
        self.heat_counts = board.hours
        self.spend = [
            {"id": s.assistant_id, "name": s.name, "replies": str(s.replies), "spent": _rub(s.spent_minor)}
            for s in board.spend
        ]
        self.total_spent = _rub(sum(s.spent_minor for s in board.spend))
        self.feedback_up, self.feedback_down = board.feedback.get("up", 0), board.feedback.get("down", 0)
