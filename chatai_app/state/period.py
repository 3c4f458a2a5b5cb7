"""The reporting period a dashboard shows (the last 7/30/90 days or chosen dates), shared by /analytics and
/admin/funnel: the state vars, the window it stands for, and the label the page prints."""

from __future__ import annotations

from datetime import date

import reflex as rx

from chatai_app.services import analytics
from chatai_app.services.errors import ValidationFailed

PERIOD_DAYS = (7, 30, 90)  # the picker's quick choices; "custom" is the date form


def period_window(days: str, date_from: str, date_to: str, tz: str = "UTC") -> analytics.Period:
    """The window for a choice: the last `days` days, or `date_from`..`date_to` (ISO dates) when "custom"."""
    if days != "custom":
        return analytics.period(days=int(days), tz=tz)
    try:
        first, last = date.fromisoformat(date_from), date.fromisoformat(date_to)
    except ValueError as exc:
        raise ValidationFailed({"from": "Write the dates as YYYY-MM-DD"}) from exc
    return analytics.period(first=first, last=last, tz=tz)


class PeriodMixin(rx.State, mixin=True):
    """The period picker's vars; the page's events call `_pick_days` / `_take_dates`, then reload and `_show_period`."""

    days: str = "30"  # "7" | "30" | "90" | "custom"
    date_from: str = ""
    date_to: str = ""
    period_label: str = ""

    def _pick_days(self, value: str | list[str]) -> bool:
        """Take the segmented control's choice; True when the figures should reload (not for "custom")."""
        self.days = value if isinstance(value, str) else value[0]
        return self.days != "custom"

    def _take_dates(self, form: dict[str, str]) -> None:
        self.date_from, self.date_to, self.days = form.get("from", ""), form.get("to", ""), "custom"

    def _show_period(self, window: analytics.Period, zone: str) -> None:
        """Print the window, and fill the date form with it so "custom" starts from what is shown."""
        self.period_label = f"{window.first_day.isoformat()} — {window.last_day.isoformat()} ({zone})"
        if self.days != "custom":
            self.date_from, self.date_to = window.first_day.isoformat(), window.last_day.isoformat()
