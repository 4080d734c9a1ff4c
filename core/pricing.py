"""Price estimates for a course, in the clinic's currency.

The catalog holds the prices the sources quote; a clinic may override them
by indication and area. A clinic's price beats the catalog's. Among prices
that match, the one with the narrower scope wins. Prices are never
converted between currencies: with no price in the clinic's currency there
is no estimate (None), because an invented price would mislead a patient
more than no price at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from core.catalog.model import Catalog, IntRange, Price

Unit = Literal["session", "course"]
Origin = Literal["clinic", "catalog"]


@dataclass(frozen=True)
class PriceOverride:
    """A clinic's own price. ``indication``/``area`` None match any."""

    currency: str
    unit: Unit
    amount: IntRange
    indication: str | None = None
    area: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.amount.max is None:
            raise ValueError("a clinic's price needs a maximum")
        if self.amount.min < 0:
            raise ValueError("a price cannot be negative")

    def matches(self, indication: str, area: str) -> bool:
        return self.indication in (None, indication) and self.area in (None, area)

    @property
    def specificity(self) -> int:
        return (self.indication is not None) + (self.area is not None)


@dataclass(frozen=True)
class PriceEstimate:
    """What a course costs.

    ``per_session`` is None when the price is for a whole course (the
    sources do not say how many sessions such a price covers). ``total.max``
    is None only if the price has no upper bound. ``key`` names the catalog
    price; it is "" for a clinic's own price, which has no sources.
    """

    currency: str
    unit: Unit
    per_session: IntRange | None
    total: IntRange
    sessions: int
    origin: Origin
    key: str
    note: str
    sources: tuple[str, ...]


def _specificity(price: Price) -> int:
    s = price.scope
    return sum(bool(part) for part in (s.indications, s.areas, s.regions, s.actives))


def _total(unit: Unit, amount: IntRange, sessions: int) -> tuple[IntRange | None, IntRange]:
    if unit == "course":
        return None, amount
    high = None if amount.max is None else amount.max * sessions
    return amount, IntRange(amount.min * sessions, high)


def estimate(
    catalog: Catalog,
    indication: str,
    area: str,
    sessions: int,
    currency: str,
    actives: Iterable[str] = (),
    overrides: Sequence[PriceOverride] = (),
) -> PriceEstimate | None:
    """The price of ``sessions`` sessions in ``currency``; None when neither
    the clinic nor the catalog has a price in that currency.

    Among equally narrow catalog prices, a course price beats a per-session
    one (it is what the source quoted for the whole treatment); among
    equally narrow clinic prices, the first given wins.
    """
    if sessions < 1:
        raise ValueError("a course has at least one session")
    currency = currency.upper()
    own = [o for o in overrides if o.currency.upper() == currency and o.matches(indication, area)]
    if own:
        best = max(own, key=lambda o: o.specificity)  # max keeps the first of equals
        per_session, total = _total(best.unit, best.amount, sessions)
        return PriceEstimate(
            currency=currency,
            unit=best.unit,
            per_session=per_session,
            total=total,
            sessions=sessions,
            origin="clinic",
            key="",
            note=best.note,
            sources=(),
        )

    region = catalog.areas[area].region
    given = frozenset(actives)
    found = [
        p
        for p in catalog.prices.values()
        if p.currency == currency and p.scope.matches(indication, area, region, given)
    ]
    if not found:
        return None
    chosen = max(found, key=lambda p: (_specificity(p), p.unit == "course"))
    per_session, total = _total(chosen.unit, chosen.amount, sessions)
    return PriceEstimate(
        currency=currency,
        unit=chosen.unit,
        per_session=per_session,
        total=total,
        sessions=sessions,
        origin="catalog",
        key=chosen.key,
        note=chosen.note,
        sources=chosen.sources,
    )
