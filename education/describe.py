"""Catalog facts put into words for patients: durations, intervals, courses,
prices and scopes. Every phrase goes through gettext, so the pages translate
as a whole; catalog texts themselves are translated in the templates.
"""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.catalog.model import Catalog, IntRange, Protocol, Scope

HOURS_PER_DAY = 24
HOURS_PER_WEEK = 7 * HOURS_PER_DAY
HOURS_PER_YEAR = 365 * HOURS_PER_DAY

CURRENCY_SYMBOLS = {"INR": "₹", "USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}


def _number(value: float) -> str:
    """7.7 stays 7.7; 3.0 becomes 3."""
    rounded = round(value, 1)
    if rounded == int(rounded):
        return number_format(int(rounded))
    return number_format(rounded, decimal_pos=1)


def _unit(hours: int) -> tuple[int, str]:
    """The unit a duration of ``hours`` reads best in, as (hours per unit, name).

    Up to two days stay in hours ("up to 36 hours" reads better than "1.5
    days"); whole weeks read as weeks from two weeks on.
    """
    if hours < 2 * HOURS_PER_DAY:
        return 1, "hours"
    if hours >= HOURS_PER_YEAR and hours % HOURS_PER_YEAR == 0:
        return HOURS_PER_YEAR, "years"
    if hours >= 2 * HOURS_PER_WEEK and hours % HOURS_PER_WEEK == 0:
        return HOURS_PER_WEEK, "weeks"
    return HOURS_PER_DAY, "days"


def _unit_name(unit: str, count: float) -> str:
    n = 1 if count == 1 else 2
    if unit == "hours":
        return ngettext("hour", "hours", n)
    if unit == "days":
        return ngettext("day", "days", n)
    if unit == "weeks":
        return ngettext("week", "weeks", n)
    return ngettext("year", "years", n)


def duration(hours: int) -> str:
    """185 -> "7.7 days"; 2016 -> "12 weeks"; 3 -> "3 hours"."""
    per, unit = _unit(hours)
    count = hours / per
    return _("%(count)s %(unit)s") % {"count": _number(count), "unit": _unit_name(unit, count)}


def hours_range(r: IntRange, onset: bool = False) -> str:
    """An hour range in the unit of its upper end: [48, 72] -> "2-3 days".

    An open range reads "from 1 week on"; one starting at 0 reads "up to 8
    hours", or for an ``onset`` "within 8 hours".
    """
    if r.max is None:
        if r.min == 0:
            return _("at any time")
        return _("from %(start)s on") % {"start": duration(r.min)}
    if r.min == r.max:
        if r.max == 0:
            return _("straight away")
        return duration(r.max)
    per, unit = _unit(r.max)
    high = r.max / per
    if r.min == 0:
        if onset:
            return _("within %(duration)s") % {"duration": duration(r.max)}
        return _("up to %(duration)s") % {"duration": duration(r.max)}
    return _("%(low)s–%(high)s %(unit)s") % {
        "low": _number(r.min / per),
        "high": _number(high),
        "unit": _unit_name(unit, high),
    }


def interval(r: IntRange) -> str:
    """Days between sessions: "7-10 days apart", "at least 28 days apart"."""
    if r.max is None:
        return ngettext("at least %(days)s day apart", "at least %(days)s days apart", r.min) % {
            "days": r.min
        }
    if r.min == r.max:
        return ngettext("%(days)s day apart", "%(days)s days apart", r.max) % {"days": r.max}
    return _("%(low)s–%(high)s days apart") % {"low": r.min, "high": r.max}


def course_steps(protocol: Protocol, sessions: int | None = None) -> list[str]:
    """The course of ``sessions`` (the protocol's default) in words, phase by
    phase: the first session, then each phase with the sessions it holds.

    The phases' own names ("Then monthly") are left out: the counted
    intervals say the same, exactly.
    """
    total = sessions if sessions is not None else protocol.default_sessions
    steps = [_("The first session starts the course.")]
    left = total - 1
    for phase in protocol.schedule:
        if left <= 0:
            break
        count = left if phase.sessions is None else min(phase.sessions, left)
        left -= count
        steps.append(
            ngettext(
                "Then %(count)s session, %(interval)s.",
                "Then %(count)s sessions, %(interval)s.",
                count,
            )
            % {"count": count, "interval": interval(phase.interval_days)}
        )
    return steps


def course_length(protocol: Protocol, sessions: int | None = None) -> str:
    """How long the whole course takes from first to last session, in weeks:
    "about 9-13 weeks", or "at least 12 weeks" when an interval is open."""
    total = sessions if sessions is not None else protocol.default_sessions
    left, low, high = total - 1, 0, 0
    open_ended = False
    for phase in protocol.schedule:
        if left <= 0:
            break
        count = left if phase.sessions is None else min(phase.sessions, left)
        left -= count
        low += count * phase.interval_days.min
        if phase.interval_days.max is None:
            open_ended = True
        else:
            high += count * phase.interval_days.max
    if total <= 1:
        return _("a single session")
    low_weeks, high_weeks = round(low / 7), round(high / 7)
    if open_ended:
        return ngettext("at least %(weeks)s week", "at least %(weeks)s weeks", low_weeks) % {
            "weeks": low_weeks
        }
    if low_weeks == high_weeks:
        return ngettext("about %(weeks)s week", "about %(weeks)s weeks", high_weeks) % {
            "weeks": high_weeks
        }
    return _("about %(low)s–%(high)s weeks") % {"low": low_weeks, "high": high_weeks}


def minutes(r: IntRange) -> str:
    if r.max is None or r.min == r.max:
        return ngettext("%(n)s minute", "%(n)s minutes", r.min) % {"n": r.min}
    return _("%(low)s–%(high)s minutes") % {"low": r.min, "high": r.max}


def money(amount: int, currency: str) -> str:
    """₹15,000 in English; a currency without a known symbol keeps its code."""
    number = number_format(amount, force_grouping=True)
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{currency} {number}"


def money_range(r: IntRange, currency: str) -> str:
    if r.max is None:
        return _("from %(low)s") % {"low": money(r.min, currency)}
    if r.min == r.max:
        return money(r.min, currency)
    return _("%(low)s to %(high)s") % {
        "low": money(r.min, currency),
        "high": money(r.max, currency),
    }


REGION_NAMES = {
    "face": gettext_lazy("the face"),
    "scalp": gettext_lazy("the scalp"),
    "body": gettext_lazy("the body"),
    "lips": gettext_lazy("the lips"),
    "neck": gettext_lazy("the neck"),
}


def scope_parts(catalog: Catalog, scope: Scope) -> list[str]:
    """Where a rule applies, translated: its actives, areas, regions, then
    indications. Empty for a rule that applies everywhere."""
    parts = [_(catalog.actives[a].name) for a in scope.actives]
    parts += [_(catalog.areas[a].name) for a in scope.areas]
    parts += [str(REGION_NAMES.get(r, r)) for r in scope.regions]
    parts += [_(catalog.indications[i].name) for i in scope.indications]
    return parts
