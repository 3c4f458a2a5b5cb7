"""The platform admins' sign-up funnel (issue 14 item 14): counts and conversion per step over a period."""

from __future__ import annotations

from typing import Any

import reflex as rx

from chatai_app.services import funnel
from chatai_app.state.admin_console import _AdminBase
from chatai_app.state.period import PeriodMixin, period_window
from chatai_app.state.session import SessionState

STEPS = funnel.STEPS  # the page's rows


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


class AdminFunnelState(PeriodMixin, _AdminBase):
    steps: list[dict[str, Any]] = []
    all_workspaces: int = 0

    @rx.event
    async def load(self):
        self.denied = ""
        return await self._refresh()

    @rx.event
    async def choose_days(self, value: str | list[str]):
        return await self._refresh() if self._pick_days(value) else None

    @rx.event
    async def apply_dates(self, form: dict[str, str]):
        self._take_dates(form)
        return await self._refresh()

    async def _refresh(self) -> Any:
        async def work(session: Any, _context: Any, _: SessionState) -> None:
            window = period_window(self.days, self.date_from, self.date_to)
            report = await funnel.report(session=session, start=window.start, end=window.end)
            steps, self.all_workspaces = report.steps, report.all_workspaces
            self._show_period(window, "UTC")
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
