"""Enums of the SLA domain, registered once, before any type or input uses them."""

from __future__ import annotations

from csm_graph.schema.enums import register_enum
from csm_graph.sla.schedules import Weekday

__all__ = ["Weekday"]

register_enum(
    Weekday,
    name="Weekday",
    description="A day of the week.",
    values={
        Weekday.MONDAY: "Monday.",
        Weekday.TUESDAY: "Tuesday.",
        Weekday.WEDNESDAY: "Wednesday.",
        Weekday.THURSDAY: "Thursday.",
        Weekday.FRIDAY: "Friday.",
        Weekday.SATURDAY: "Saturday.",
        Weekday.SUNDAY: "Sunday.",
    },
)
