"""Aftercare: the rules that apply after a session at one area.

A rule applies when its scope matches the session's indication, area, the
area's region and the actives injected. Rules come back in the order of
aftercare.toml, which is the order of the aftercare sheet.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from core.catalog.model import AftercareRule, Catalog, Protocol


def rules_for(
    catalog: Catalog, indication: str, area: str, actives: Iterable[str] = ()
) -> tuple[AftercareRule, ...]:
    """The aftercare rules for a session; raises KeyError for an unknown area."""
    region = catalog.areas[area].region
    given = frozenset(actives)
    return tuple(
        rule
        for rule in catalog.aftercare.values()
        if rule.scope.matches(indication, area, region, given)
    )


def rules_for_protocol(
    catalog: Catalog, protocol: Protocol, area: str
) -> tuple[AftercareRule, ...]:
    return rules_for(catalog, protocol.indication, area, protocol.actives)


def ends_at(rule: AftercareRule, session_end: datetime) -> datetime | None:
    """When the rule stops applying; None for a rule with no fixed time."""
    if rule.hours is None:
        return None
    return session_end + timedelta(hours=rule.hours)
