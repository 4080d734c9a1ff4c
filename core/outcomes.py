"""Outcome scores: which measures fit an indication, whether a rating is a
point of its measure's scale, a course's progress, and the geometry of a
small line chart of that progress.

The measures themselves are catalog knowledge (``measures.toml``): GAIS for
every indication, rated by clinician and patient, plus the measure that fits
the indication. The chart is plain numbers (points scaled into a box, axis
ticks) so a template can draw it as SVG without any JavaScript.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from core.catalog.model import Catalog, Measure


def measures_for(catalog: Catalog, indication: str) -> list[Measure]:
    """The measures rated in a course for ``indication``: those for every
    indication (GAIS) first, then the indication's own, in catalog order.
    An indication the catalog does not know gets the general ones only."""
    measures = list(catalog.measures.values())
    general = [m for m in measures if m.every_indication]
    own = [m for m in measures if not m.every_indication and indication in m.indications]
    return general + own


def plain(value: Decimal) -> str:
    """A value as people write it: 3, 4.5, 120 (never 1.2E+2 or 3.00)."""
    return f"{value.normalize():f}"


# -- checking a rating -------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field: ``value``, ``rater`` or ``items.<key>``."""

    field: str
    message: str


@dataclass(frozen=True)
class Rating:
    """A checked rating: the value to record and, for a composite measure,
    the item ratings it is the sum of (empty otherwise)."""

    value: Decimal
    items: Mapping[str, int]


def _number(raw: object) -> Decimal | None:
    """``raw`` as an exact number; None when it is not one (or is blank)."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, Decimal):
        number = raw
    elif isinstance(raw, int | str):
        text = str(raw).strip()
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    elif isinstance(raw, float):
        number = Decimal(str(raw))
    else:
        return None
    return number if number.is_finite() else None


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _range_text(measure: Measure) -> str:
    low, high = measure.scale.min, measure.scale.max
    if high is None:
        return f"Enter a value of {low} or more."
    return f"Enter a value from {low} to {high}."


def check_value(measure: Measure, raw: object) -> tuple[Decimal | None, Problem | None]:
    """``raw`` (text from a form, or a number) as a point of the measure's
    scale: within its range and on its steps."""
    if _blank(raw):
        return None, Problem("value", "Enter a value.")
    number = _number(raw)
    if number is None:
        return None, Problem("value", "Enter a number.")
    if number < measure.scale.min or (measure.scale.max is not None and number > measure.scale.max):
        return None, Problem("value", _range_text(measure))
    if (number - measure.scale.min) % measure.step:
        return None, Problem("value", f"Enter a value in steps of {plain(measure.step)}.")
    return number, None


def check_rating(
    measure: Measure,
    rater: str,
    value: object = None,
    items: Mapping[str, object] | None = None,
) -> tuple[Rating | None, list[Problem]]:
    """Check one rating of ``measure`` by ``rater``. A composite measure
    (Hexsel) is rated item by item and its value is their sum: ``value`` may
    then be left out, and if given must equal the sum. Returns the rating,
    or None with the problems, each naming its field."""
    problems: list[Problem] = []
    if rater not in measure.raters:
        who = " and ".join(measure.raters)
        problems.append(Problem("rater", f"{measure.name} is rated by the {who} only."))
    given = dict(items or {})
    if not measure.items:
        if any(not _blank(v) for v in given.values()):
            problems.append(Problem("items", f"{measure.name} is a single score, not items."))
        number, problem = check_value(measure, value)
        if problem is not None:
            problems.append(problem)
        if problems or number is None:
            return None, problems
        return Rating(number, {}), []

    unknown = sorted(set(given) - {item.key for item in measure.items})
    for key in unknown:
        problems.append(Problem(f"items.{key}", f"{measure.name} has no item '{key}'."))
    rated: dict[str, int] = {}
    for item in measure.items:
        field = f"items.{item.key}"
        raw = given.get(item.key)
        number = _number(raw)
        high = item.scale.max
        if _blank(raw):
            problems.append(Problem(field, "Rate this item."))
        elif number is None or number != number.to_integral_value():
            problems.append(Problem(field, "Enter a whole number."))
        elif not item.scale.contains(int(number)):
            problems.append(Problem(field, f"Rate this item from {item.scale.min} to {high}."))
        else:
            rated[item.key] = int(number)
    if problems:
        return None, problems
    total = Decimal(sum(rated.values()))
    if not _blank(value):
        number = _number(value)
        if number is None or number != total:
            problems.append(
                Problem("value", f"The score is the sum of its items ({plain(total)}).")
            )
            return None, problems
    return Rating(total, rated), []


# -- progress of a course ----------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """One recorded rating, as the progress needs it."""

    measure: str
    rater: str
    session: int
    value: Decimal
    day: date | None = None


@dataclass(frozen=True)
class Series:
    """One measure by one rater across a course: (session number, value)
    pairs, by session."""

    measure: str
    rater: str
    points: tuple[tuple[int, Decimal], ...]


def progress(measures: Sequence[Measure], scores: Iterable[Score]) -> list[Series]:
    """One series per measure and rater that has at least one score, in the
    order of ``measures`` and then of each measure's raters. Scores of other
    measures are left out. Two scores of one measure, rater and session
    cannot both be recorded; if given, the later one in ``scores`` wins."""
    found: dict[tuple[str, str], dict[int, Decimal]] = {}
    for score in scores:
        found.setdefault((score.measure, score.rater), {})[score.session] = score.value
    series = []
    for measure in measures:
        for rater in measure.raters:
            points = found.get((measure.key, rater))
            if points:
                series.append(Series(measure.key, rater, tuple(sorted(points.items()))))
    return series


# -- the chart ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    at: float  # x or y in the chart's coordinates
    label: str


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    session: int
    value: str
    label: str  # the scale's meaning of the value ("Much improved"), or ""


@dataclass(frozen=True)
class Line:
    rater: str
    dots: tuple[Dot, ...]
    path: str  # SVG path data: "M x y L x y ..."


@dataclass(frozen=True)
class Row:
    """The chart's data as a table row: one session, a value per line ("" if
    that rater gave none)."""

    session: int
    values: tuple[str, ...]
    labels: tuple[str, ...]  # the scale's meaning of each value, or ""

    @property
    def cells(self) -> tuple[tuple[str, str], ...]:
        return tuple(zip(self.values, self.labels, strict=True))


@dataclass(frozen=True)
class Chart:
    measure: str
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    lines: tuple[Line, ...]
    rows: tuple[Row, ...]
    higher_is_better: bool

    @property
    def plot_width(self) -> float:
        return round(self.right - self.left, 1)

    @property
    def plot_height(self) -> float:
        return round(self.bottom - self.top, 1)

    @property
    def x_title(self) -> float:
        return round((self.left + self.right) / 2, 1)

    @property
    def y_label_x(self) -> float:
        """Where the y ticks' labels end, just left of the plot."""
        return round(self.left - 6, 1)

    @property
    def x_label_y(self) -> float:
        """The baseline of the x ticks' labels, just below the plot."""
        return round(self.bottom + 16, 1)

    @property
    def title_y(self) -> float:
        return round(self.height - 3.0, 1)

    @property
    def raters(self) -> tuple[str, ...]:
        return tuple(line.rater for line in self.lines)

    @property
    def empty(self) -> bool:
        return not self.lines


MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 16, 12, 34
MAX_TICKS = 6


def _tick_step(span: Decimal, smallest: Decimal) -> Decimal:
    """A round step (1, 2 or 5 times a power of ten, never below the
    scale's own step) giving at most MAX_TICKS intervals over ``span``."""
    if span <= 0:
        return smallest
    raw = span / (MAX_TICKS - 1)
    power = Decimal(10) ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        step = power * factor
        if step >= raw:
            return max(step, smallest)
    return max(power * 10, smallest)


def _top_of_open_scale(measure: Measure, values: Iterable[Decimal]) -> Decimal:
    """For a scale with no upper bound (a count), a round top just above the
    largest value, so the line does not touch the frame."""
    low = Decimal(measure.scale.min)
    largest = max(values, default=low + 1)
    if largest <= low:
        largest = low + 1
    step = _tick_step(largest - low, measure.step)
    return low + step * math.ceil((largest - low) / step + Decimal("0.0001"))


def chart(
    measure: Measure,
    series: Sequence[Series],
    sessions: int = 0,
    width: int = 480,
    height: int = 220,
) -> Chart:
    """The line chart of ``measure`` in ``series`` (other measures' series
    are ignored), one line per rater, across sessions 1 to ``sessions`` (or
    to the last session rated, if later). The y axis runs over the whole
    scale, so a line's height means the same in every course."""
    lines_of = [s for s in series if s.measure == measure.key]
    last_rated = max((p[0] for s in lines_of for p in s.points), default=1)
    count = max(sessions, last_rated, 1)
    left, top = float(MARGIN_LEFT), float(MARGIN_TOP)
    right, bottom = float(width - MARGIN_RIGHT), float(height - MARGIN_BOTTOM)

    low = Decimal(measure.scale.min)
    if measure.scale.max is not None:
        high = Decimal(measure.scale.max)
    else:
        high = _top_of_open_scale(measure, (v for s in lines_of for _, v in s.points))

    def x_of(session: int) -> float:
        if count == 1:
            return round((left + right) / 2, 1)
        return round(left + (session - 1) * (right - left) / (count - 1), 1)

    def y_of(value: Decimal) -> float:
        share = float((value - low) / (high - low))
        return round(bottom - share * (bottom - top), 1)

    every = max(1, math.ceil(count / 10))
    x_ticks = tuple(
        Tick(x_of(n), str(n)) for n in range(1, count + 1) if (n - 1) % every == 0 or n == count
    )
    step = _tick_step(high - low, measure.step)
    y_ticks = []
    mark = low
    while mark <= high:
        y_ticks.append(Tick(y_of(mark), plain(mark)))
        mark += step

    lines = []
    for s in lines_of:
        dots = tuple(Dot(x_of(n), y_of(v), n, plain(v), measure.label(v)) for n, v in s.points)
        path = " ".join(f"{'M' if i == 0 else 'L'} {d.x} {d.y}" for i, d in enumerate(dots))
        lines.append(Line(s.rater, dots, path))

    sessions_rated = sorted({n for s in lines_of for n, _ in s.points})
    rows = []
    for n in sessions_rated:
        values = [dict(s.points).get(n) for s in lines_of]
        rows.append(
            Row(
                n,
                tuple("" if v is None else plain(v) for v in values),
                tuple("" if v is None else measure.label(v) for v in values),
            )
        )
    return Chart(
        measure=measure.key,
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        x_ticks=x_ticks,
        y_ticks=tuple(y_ticks),
        lines=tuple(lines),
        rows=tuple(rows),
        higher_is_better=measure.higher_is_better,
    )
