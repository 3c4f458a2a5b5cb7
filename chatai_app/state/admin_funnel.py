"""The platform admins' sign-up funnel (issue 14 item 14): counts and conversion per step over a period."""

from __future__ import annotations

from datetime import date
from typing import Any

import reflex as rx

from chatai_app.services import analytics, funnel
from chatai_app.services.errors import ValidationFailed
from chatai_app.state.admin_console import _AdminBase
from chatai_app.state.session import SessionState

STEPS = funnel.STEPS  # the page's rows


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _window(days: str, date_from: str, date_to: str) -> analytics.Period:
    if days != "custom":
        return analytics.period(days=int(days))
    try:
        return analytics.period(first=date.fromisoformat(date_from), last=date.fromisoformat(date_to))
    except ValueError as exc:
        raise ValidationFailed({"from": "Write the dates as YYYY-MM-DD"}) from exc


class AdminFunnelState(_AdminBase):
    days: str = "30"  # "7" | "30" | "90" | "custom"
    date_from: str = ""
    date_to: str = ""
    period_label: str = ""
    steps: list[dict[str, Any]] = []
    all_workspaces: int = 0

    @rx.event
    async def load(self):
        self.denied = ""
        return await self._refresh()

    @rx.event
    async def choose_days(self, value: str | list[str]):
        self.days = value if isinstance(value, str) else value[0]
        return None if self.days == "custom" else await self._refresh()

    @rx.event
    async def apply_dates(self, form: dict[str, str]):
        self.date_from, self.date_to, self.days = form.get("from", ""), form.get("to", ""), "custom"
        return await self._refresh()

    async def _refresh(self) -> Any:
        async def work(session: Any, _context: Any, _: SessionState) -> None:
            window = _window(self.days, self.date_from, self.date_to)
            report = await funnel.report(session=session, start=window.start, end=window.end)
            steps, self.all_workspaces = report.steps, report.all_workspaces
            self.period_label = f"{window.first_day.isoformat()} — {window.last_day.isoformat()} (UTC)"
            if self.days != "custom":
                self.date_from, self.date_to = window.first_day.isoformat(), window.last_day.isoformat()
            first = steps[0].count if steps else 0
            self.steps = [
                {
                    "key": s.key,
                    "count": str(s.count),
                    "conversion": _pct(s.conversion),
                    "of_first": _pct(s.count / first if first else None),
                    "bar": round(100 * s.count / max(1, max(x.count for x in steps))),
                }
                for s in steps
            ]

        return await self._guarded(work)
