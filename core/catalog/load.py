"""Load the knowledge catalog from its TOML files and validate it.

Each file holds one kind of fact as keyed tables (``[hair_loss]``). Loading
refuses, with a CatalogError naming the file and entry, any unknown field, a
missing source, a reference to an entry that does not exist, or an
impossible range. The catalog is loaded once per process.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any, cast, get_args

from core.catalog.model import (
    Active,
    AftercareRule,
    Alternative,
    Answer,
    Area,
    Catalog,
    Contraindication,
    DepthTier,
    Evidence,
    EvidenceLevel,
    FloatRange,
    FollowUpStep,
    Indication,
    IntRange,
    Measure,
    MeasureItem,
    MedicineRule,
    Needle,
    Phase,
    Price,
    Protocol,
    Question,
    Rater,
    Region,
    Regulation,
    RegulatoryStatus,
    ScaleLabel,
    Scope,
    SideEffect,
    Source,
    SourcedVerdict,
    SourceKind,
    Technique,
    Topic,
    Verdict,
    WarningSign,
)

DATA_DIR = Path(__file__).parent / "data"


class CatalogError(ValueError):
    """The catalog is invalid; the message names the file and entry."""


class Entry:
    """Typed, checked access to one TOML table; every read field is ticked
    off so unknown (misspelt) fields can be refused."""

    def __init__(self, where: str, data: dict[str, Any]) -> None:
        self.where = where
        self.data = data
        self.read: set[str] = set()

    def fail(self, message: str) -> CatalogError:
        return CatalogError(f"{self.where}: {message}")

    def _get(self, name: str, default: Any = ..., types: tuple[type, ...] = ()) -> Any:
        self.read.add(name)
        if name not in self.data:
            if default is ...:
                raise self.fail(f"missing field '{name}'")
            return default
        value = self.data[name]
        if types and (
            not isinstance(value, types) or (isinstance(value, bool) and bool not in types)
        ):
            names = " or ".join(t.__name__ for t in types)
            raise self.fail(f"field '{name}' must be {names}, not {value!r}")
        return value

    def text(self, name: str, default: Any = ...) -> str:
        value = self._get(name, default, (str,))
        if default is ... and not str(value).strip():
            raise self.fail(f"field '{name}' is empty")
        return cast(str, value)

    def boolean(self, name: str, default: Any = ...) -> bool:
        return cast(bool, self._get(name, default, (bool,)))

    def integer(self, name: str, default: Any = ...) -> int:
        value = self._get(name, default, (int,))
        if value is not None and value < 0:
            raise self.fail(f"field '{name}' must not be negative")
        return cast(int, value)

    def decimal(self, name: str, default: Any = ...) -> Decimal:
        """A positive number, exact: 0.1 in TOML is Decimal("0.1")."""
        value = self._get(name, default, (int, float))
        number = Decimal(str(value))
        if not number.is_finite() or number <= 0:
            raise self.fail(f"field '{name}' must be a positive number, not {value!r}")
        return number

    def texts(self, name: str, default: Any = ...) -> tuple[str, ...]:
        value = self._get(name, default, (list,))
        if not all(isinstance(v, str) for v in value):
            raise self.fail(f"field '{name}' must be a list of strings")
        if len(set(value)) != len(value):
            raise self.fail(f"field '{name}' repeats an item")
        return tuple(value)

    def ints(self, name: str) -> tuple[int, ...]:
        value = self._get(name, ..., (list,))
        if not value or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise self.fail(f"field '{name}' must be a non-empty list of whole numbers")
        return tuple(value)

    def choice(self, name: str, allowed: Iterable[str], default: Any = ...) -> str:
        value = self.text(name, default)
        allowed = tuple(allowed)
        if value not in allowed:
            raise self.fail(f"field '{name}' is {value!r}; expected one of {', '.join(allowed)}")
        return value

    def int_range(self, name: str, default: Any = ..., open_max: bool = False) -> IntRange:
        value = self._get(name, default, (list, type(None)))
        if value is None:
            return cast(IntRange, None)
        if (
            len(value) != 2
            or not isinstance(value[0], int)
            or not (isinstance(value[1], int) or (open_max and value[1] == "open"))
        ):
            raise self.fail(
                f"field '{name}' must be [min, max] whole numbers"
                + (' (max may be "open")' if open_max else "")
            )
        low, high = value[0], None if value[1] == "open" else value[1]
        if low < 0 or (high is not None and high < low):
            raise self.fail(f"field '{name}' is an impossible range {value}")
        return IntRange(low, high)

    def float_range(self, name: str, default: Any = ...) -> FloatRange:
        value = self._get(name, default, (list, type(None)))
        if value is None:
            return cast(FloatRange, None)
        if len(value) != 2 or not all(isinstance(v, int | float) for v in value):
            raise self.fail(f"field '{name}' must be [min, max] numbers")
        low, high = float(value[0]), float(value[1])
        if low < 0 or high < low:
            raise self.fail(f"field '{name}' is an impossible range {value}")
        return FloatRange(low, high)

    def table(self, name: str, default: Any = ...) -> Entry:
        value = self._get(name, default, (dict,))
        return Entry(f"{self.where}.{name}", value or {})

    def tables(self, name: str, default: Any = ...) -> list[Entry]:
        value = self._get(name, default, (list,))
        if not all(isinstance(v, dict) for v in value):
            raise self.fail(f"field '{name}' must be a list of tables")
        return [Entry(f"{self.where}.{name}[{i}]", v) for i, v in enumerate(value)]

    def sources(self, name: str = "sources") -> tuple[str, ...]:
        value = self.texts(name)
        if not value:
            raise self.fail(f"'{name}' is empty: every fact names its sources")
        return value

    def scope(self, name: str = "scope") -> Scope:
        s = self.table(name, {})
        scope = Scope(
            indications=s.texts("indications", ()),
            areas=s.texts("areas", ()),
            regions=cast(tuple[Region, ...], s.texts("regions", ())),
            actives=s.texts("actives", ()),
        )
        s.done()
        return scope

    def done(self) -> None:
        unknown = set(self.data) - self.read
        if unknown:
            raise self.fail(f"unknown field(s): {', '.join(sorted(unknown))}")


def _read(directory: Path, name: str) -> list[Entry]:
    path = directory / f"{name}.toml"
    if not path.exists():
        raise CatalogError(f"{name}.toml: file missing from {directory}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{name}.toml: not valid TOML: {exc}") from exc
    entries = []
    for key, value in data.items():
        if not isinstance(value, dict):
            raise CatalogError(f"{name}.toml: '{key}' must be a table")
        if not key.replace("_", "").isalnum() or key != key.lower():
            raise CatalogError(f"{name}.toml: key '{key}' must be lower_snake_case")
        entries.append(Entry(f"{name}.toml [{key}]", value))
    return entries


def _build[T](directory: Path, name: str, make: Callable[[str, Entry], T]) -> dict[str, T]:
    out: dict[str, T] = {}
    for entry in _read(directory, name):
        key = entry.where.split("[", 1)[1].rstrip("]")
        out[key] = make(key, entry)
        entry.done()
    if not out:
        raise CatalogError(f"{name}.toml: no entries")
    return out


def _verdict(entry: Entry, name: str, default: Any = ...) -> Verdict:
    return Verdict(entry.choice(name, [v.value for v in Verdict], default))


def load_catalog(directory: Path | None = None) -> Catalog:
    """Load and validate the catalog; raises CatalogError naming the entry."""
    d = directory or DATA_DIR

    sources = _build(
        d,
        "sources",
        lambda k, e: Source(
            key=e.text("key", k),
            title=e.text("title"),
            kind=cast(SourceKind, e.choice("kind", get_args(SourceKind))),
            url=e.text("url", ""),
        ),
    )
    # Sources are keyed by their exact citation (seed file names contain
    # dots, which TOML keys would need quoting for), so re-key them; two
    # tables with one citation would otherwise silently drop a title.
    by_citation: dict[str, Source] = {}
    for table, source in sources.items():
        if source.key in by_citation:
            raise CatalogError(f"sources.toml [{table}]: key '{source.key}' is used twice")
        by_citation[source.key] = source
    sources = by_citation

    areas = _build(
        d,
        "areas",
        lambda k, e: Area(
            key=k,
            name=e.text("name"),
            region=cast(Region, e.choice("region", get_args(Region))),
            diagram=cast(Any, e.choice("diagram", ("face", "scalp", "body"))),
            sources=e.sources(),
        ),
    )

    def make_indication(k: str, e: Entry) -> Indication:
        ev = e.table("evidence")
        evidence = Evidence(
            level=cast(EvidenceLevel, ev.choice("level", get_args(EvidenceLevel))),
            summary=ev.text("summary"),
            sources=ev.sources(),
        )
        ev.done()
        return Indication(
            key=k,
            name=e.text("name"),
            summary=e.text("summary"),
            includes=e.texts("includes", ()),
            areas=e.texts("areas"),
            lipolytic=e.boolean("lipolytic", False),
            evidence=evidence,
            sources=e.sources(),
        )

    indications = _build(d, "indications", make_indication)

    actives = _build(
        d,
        "actives",
        lambda k, e: Active(
            key=k,
            name=e.text("name"),
            group=e.text("group"),
            purposes=e.texts("purposes"),
            lipolytic=e.boolean("lipolytic", False),
            prescription=e.boolean("prescription", False),
            note=e.text("note", ""),
            sources=e.sources(),
        ),
    )

    techniques = _build(
        d,
        "techniques",
        lambda k, e: Technique(
            key=k,
            name=e.text("name"),
            delivery=cast(
                Any, e.choice("delivery", ("needle", "microneedling", "needle_free", "jet"))
            ),
            device=e.text("device", ""),
            description=e.text("description"),
            sources=e.sources(),
        ),
    )

    depth_tiers = _build(
        d,
        "depth_tiers",
        lambda k, e: DepthTier(
            key=k,
            name=e.text("name"),
            depth_mm=e.float_range("depth_mm"),
            sources=e.sources(),
        ),
    )

    def make_protocol(k: str, e: Entry) -> Protocol:
        n = e.table("needle")
        needle = Needle(
            gauge=n.ints("gauge"),
            length_mm=n.float_range("length_mm"),
            angle_degrees=n.int_range("angle_degrees", None),
            sources=n.sources(),
        )
        n.done()
        phases = []
        for p in e.tables("schedule"):
            phases.append(
                Phase(
                    name=p.text("name"),
                    interval_days=p.int_range("interval_days", open_max=True),
                    sessions=p.integer("sessions", None),
                )
            )
            p.done()
        return Protocol(
            key=k,
            name=e.text("name"),
            indication=e.text("indication"),
            areas=e.texts("areas"),
            actives=e.texts("actives"),
            techniques=e.texts("techniques"),
            needle=needle,
            depth=e.texts("depth"),
            volume_per_point_ml=e.float_range("volume_per_point_ml", None),
            point_spacing_cm=e.float_range("point_spacing_cm", None),
            max_points=e.integer("max_points", None),
            sessions=e.int_range("sessions"),
            default_sessions=e.integer("default_sessions"),
            schedule=tuple(phases),
            procedure_minutes=e.int_range("procedure_minutes"),
            numbing_minutes=e.int_range("numbing_minutes"),
            maintenance=e.text("maintenance", ""),
            notes=e.text("notes", ""),
            default=e.boolean("default", False),
            sources=e.sources(),
        )

    protocols = _build(d, "protocols", make_protocol)

    questions = _build(
        d,
        "questions",
        lambda k, e: Question(
            key=k,
            text=e.text("text"),
            help=e.text("help", ""),
            kind=cast(Any, e.choice("kind", ("bool", "date", "areas", "medicines"))),
            sources=e.sources(),
        ),
    )

    def make_contraindication(k: str, e: Entry) -> Contraindication:
        alternatives = []
        for a in e.tables("alternatives", []):
            alternatives.append(SourcedVerdict(_verdict(a, "verdict"), a.sources()))
            a.done()
        return Contraindication(
            key=k,
            name=e.text("name"),
            question=e.text("question"),
            verdict=_verdict(e, "verdict"),
            temporary=e.boolean("temporary"),
            site_specific=e.boolean("site_specific", False),
            scope=e.scope(),
            defer_days=e.integer("defer_days", 0),
            defer_months=e.integer("defer_months", 0),
            message=e.text("message"),
            clinician_note=e.text("clinician_note", ""),
            alternatives=tuple(alternatives),
            sources=e.sources(),
            medicines=e.texts("medicines", ()),
        )

    contraindications = _build(d, "contraindications", make_contraindication)

    def make_medicine(k: str, e: Entry) -> MedicineRule:
        alt = []
        for a in e.tables("alternative_pauses", []):
            alt.append((a.integer("pause_days"), a.sources()))
            a.done()
        return MedicineRule(
            key=k,
            name=e.text("name"),
            examples=e.texts("examples", ()),
            kind=cast(Any, e.choice("kind", ("medicine", "supplement", "habit"))),
            pause_days=e.integer("pause_days"),
            alternatives_pause_days=tuple(alt),
            caution_days=e.integer("caution_days", 0),
            may_be_prescribed=e.boolean("may_be_prescribed", False),
            prescribed_verdict=_verdict(e, "prescribed_verdict", "caution"),
            scope=e.scope(),
            message=e.text("message"),
            prescribed_message=e.text("prescribed_message", ""),
            sources=e.sources(),
            prescription_only=e.boolean("prescription_only", False),
        )

    medicines = _build(d, "medicines", make_medicine)

    side_effects = _build(
        d,
        "side_effects",
        lambda k, e: SideEffect(
            key=k,
            name=e.text("name"),
            expected=e.boolean("expected"),
            red_flag=e.boolean("red_flag", False),
            # "open": the sources say it may start late but not how late.
            onset_hours=e.int_range("onset_hours", open_max=True),
            peak_hours=e.int_range("peak_hours", None),
            lasts_hours=e.int_range("lasts_hours", None),
            review_after_hours=e.integer("review_after_hours", None),
            scope=e.scope(),
            advice=e.text("advice"),
            see_doctor=e.text("see_doctor", ""),
            sources=e.sources(),
            refines=e.text("refines", ""),
        ),
    )

    aftercare = _build(
        d,
        "aftercare",
        lambda k, e: AftercareRule(
            key=k,
            text=e.text("text"),
            hours=e.integer("hours", None),
            scope=e.scope(),
            sources=e.sources(),
        ),
    )

    prices = _build(
        d,
        "prices",
        lambda k, e: Price(
            key=k,
            currency=e.text("currency"),
            unit=cast(Any, e.choice("unit", ("session", "course"))),
            amount=e.int_range("amount"),
            scope=e.scope(),
            note=e.text("note", ""),
            sources=e.sources(),
        ),
    )

    alternatives = _build(
        d,
        "alternatives",
        lambda k, e: Alternative(
            key=k,
            name=e.text("name"),
            summary=e.text("summary"),
            compared=e.text("compared"),
            indications=e.texts("indications", ()),
            sources=e.sources(),
        ),
    )

    regulations = _build(
        d,
        "regulations",
        lambda k, e: Regulation(
            key=k,
            country=e.text("country"),
            status=cast(RegulatoryStatus, e.choice("status", get_args(RegulatoryStatus))),
            lipolytic=e.boolean("lipolytic", False),
            actives=e.texts("actives", ()),
            approved_areas=e.texts("approved_areas", ()),
            summary=e.text("summary"),
            sources=e.sources(),
        ),
    )

    def make_topic(k: str, e: Entry) -> Topic:
        answers = []
        for a in e.tables("answers"):
            answers.append(Answer(a.text("text"), a.sources()))
            a.done()
        if not answers:
            raise e.fail("no answers")
        return Topic(
            key=k,
            question=e.text("question"),
            answers=tuple(answers),
            order=e.integer("order"),
            sources_differ=e.boolean("sources_differ", False),
        )

    topics = _build(d, "topics", make_topic)

    def make_measure(k: str, e: Entry) -> Measure:
        labels = []
        for lab in e.tables("labels", []):
            labels.append(ScaleLabel(value=lab.integer("value"), text=lab.text("text")))
            lab.done()
        items = []
        for it in e.tables("items", []):
            item_key = it.text("key")
            if not item_key.replace("_", "").isalnum() or item_key != item_key.lower():
                raise it.fail(f"key '{item_key}' must be lower_snake_case")
            items.append(
                MeasureItem(key=item_key, name=it.text("name"), scale=it.int_range("scale"))
            )
            it.done()
        raters = e.texts("raters")
        for rater in raters:
            if rater not in get_args(Rater):
                raise e.fail(
                    f"field 'raters' holds {rater!r}; expected {', '.join(get_args(Rater))}"
                )
        return Measure(
            key=k,
            name=e.text("name"),
            abbreviation=e.text("abbreviation", ""),
            measures=e.text("measures"),
            unit=e.text("unit", ""),
            # "open": a count with no upper bound (hairs per cm²).
            scale=e.int_range("scale", open_max=True),
            step=e.decimal("step", 1),
            higher_is_better=e.boolean("higher_is_better"),
            every_indication=e.boolean("every_indication", False),
            indications=e.texts("indications", ()),
            raters=cast(tuple[Rater, ...], raters),
            labels=tuple(labels),
            items=tuple(items),
            note=e.text("note", ""),
            sources=e.sources(),
        )

    measures = _build(d, "measures", make_measure)

    warning_signs = _build(
        d,
        "warning_signs",
        lambda k, e: WarningSign(
            key=k,
            question=e.text("question"),
            advice=e.text("advice"),
            emergency=e.boolean("emergency", False),
            sources=e.sources(),
        ),
    )

    follow_ups = _build(
        d,
        "follow_ups",
        lambda k, e: FollowUpStep(
            key=k,
            after_hours=e.integer("after_hours"),
            anchor=cast(Any, e.choice("anchor", ("session", "last_session"))),
            asks=e.text("asks"),
            sources=e.sources(),
        ),
    )

    catalog = Catalog(
        sources=sources,
        areas=areas,
        indications=indications,
        actives=actives,
        techniques=techniques,
        depth_tiers=depth_tiers,
        protocols=protocols,
        questions=questions,
        contraindications=contraindications,
        medicines=medicines,
        side_effects=side_effects,
        aftercare=aftercare,
        prices=prices,
        alternatives=alternatives,
        regulations=regulations,
        topics=topics,
        measures=measures,
        warning_signs=warning_signs,
        follow_ups=follow_ups,
    )
    from core.catalog.validate import validate

    validate(catalog)
    return catalog
