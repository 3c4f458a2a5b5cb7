"""Dashboard pieces shared by /analytics, /admin/funnel and /admin/monitoring: the period picker (the last 7/30/90
days or chosen dates) and the titled chart card."""

from __future__ import annotations

from typing import Any

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.state.period import PERIOD_DAYS


def period_picker(state: Any, id_prefix: str, *beside: rx.Component, below: rx.Component | None = None) -> rx.Component:
    """The segmented 7/30/90-days-or-dates choice of a `PeriodMixin` state, the date form for "custom", and the
    period shown; `beside` sits next to the choice (a time zone select, a spinner), `below` under the period line.
    Element ids: `{id_prefix}-days`, `-from`, `-to`, `-apply`, `-period`."""
    return rx.vstack(
        rx.hstack(
            rx.segmented_control.root(
                *[rx.segmented_control.item(t(f"an.days_{d}"), value=str(d)) for d in PERIOD_DAYS],
                rx.segmented_control.item(t("an.dates"), value="custom"),
                value=state.days,
                on_change=state.choose_days,
                id=f"{id_prefix}-days",
            ),
            *beside,
            spacing="3",
            wrap="wrap",
            align="center",
        ),
        rx.cond(
            state.days == "custom",
            rx.form(
                rx.hstack(
                    rx.input(type="date", name="from", default_value=state.date_from, id=f"{id_prefix}-from"),
                    rx.input(type="date", name="to", default_value=state.date_to, id=f"{id_prefix}-to"),
                    rx.button(t("an.apply"), type="submit", id=f"{id_prefix}-apply"),
                    spacing="2",
                    wrap="wrap",
                ),
                on_submit=state.apply_dates,
            ),
        ),
        rx.text(t("an.period"), ": ", state.period_label, size="1", color_scheme="gray", id=f"{id_prefix}-period"),
        below or rx.fragment(),
        spacing="2",
        width="100%",
    )


def chart_card(
    title: str,
    *body: rx.Component,
    hint: str | None = None,
    aside: rx.Component | None = None,
    **props: Any,
) -> rx.Component:
    """A card with a title (a catalogue key), an optional grey hint, then the chart, table or empty state in `body`;
    `aside` sits at the title's right (a total). `props` go to the card (id, class_name, width)."""
    grow = {"flex": "1"} if aside is not None else {}
    heading = rx.text(t(title), size="2", weight="medium", **grow)
    return rx.card(
        rx.vstack(
            rx.hstack(heading, aside, width="100%") if aside is not None else heading,
            rx.text(t(hint), size="1", color_scheme="gray") if hint else rx.fragment(),
            *body,
            spacing="2",
            width="100%",
        ),
        **{"min_width": "0", **props},
    )
