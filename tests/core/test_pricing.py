"""Price estimates: catalog defaults, clinic overrides, and no conversions."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.catalog import load_catalog
from core.catalog.model import IntRange
from core.pricing import PriceOverride, estimate

CATALOG = load_catalog()


def test_four_sessions_in_inr_cost_60000_to_160000() -> None:
    price = estimate(CATALOG, "hair_loss", "scalp", 4, "INR")
    assert price is not None
    assert (price.unit, price.per_session, price.total, price.origin, price.key) == (
        "session",
        IntRange(15000, 40000),
        IntRange(60000, 160000),
        "catalog",
        "india_session",
    )
    assert price.sources == ("000_ceb4ff80bd68d871.txt", "001_86e63943bbc55325.txt")


def test_the_currency_code_is_read_in_any_case() -> None:
    assert estimate(CATALOG, "hair_loss", "scalp", 4, "inr") == estimate(
        CATALOG, "hair_loss", "scalp", 4, "INR"
    )


def test_an_anticellulite_course_in_usd_costs_900_to_2500_whatever_its_length() -> None:
    for sessions in (3, 10, 15):
        price = estimate(CATALOG, "cellulite", "thighs", sessions, "USD")
        assert price is not None
        assert (price.unit, price.per_session, price.total, price.sessions) == (
            "course",
            None,
            IntRange(900, 2500),
            sessions,
        )
        assert price.sources == ("004_cc642f6ce635f2ff.txt",)


@pytest.mark.parametrize(
    ("indication", "area", "currency"),
    [
        ("hair_loss", "scalp", "USD"),  # the only USD price is for cellulite
        ("localised_fat", "thighs", "USD"),
        ("cellulite", "thighs", "EUR"),
        ("facial_rejuvenation", "face", "GBP"),
    ],
)
def test_no_price_is_invented_in_a_currency_the_sources_do_not_quote(
    indication: str, area: str, currency: str
) -> None:
    assert estimate(CATALOG, indication, area, 4, currency) is None


def test_the_usd_course_price_never_becomes_an_inr_price() -> None:
    price = estimate(CATALOG, "cellulite", "thighs", 10, "INR")
    assert price is not None
    assert (price.key, price.unit, price.total) == (
        "india_session",
        "session",
        IntRange(150000, 400000),
    )


def test_a_clinic_price_beats_the_catalog_and_a_narrower_clinic_price_beats_a_wider_one() -> None:
    overrides = (
        PriceOverride("INR", "session", IntRange(10000, 12000), note="House price"),
        PriceOverride("INR", "session", IntRange(18000, 22000), area="scalp"),
        PriceOverride(
            "INR", "course", IntRange(90000, 90000), indication="hair_loss", area="scalp"
        ),
    )
    anywhere = estimate(CATALOG, "facial_rejuvenation", "face", 3, "INR", overrides=overrides)
    assert anywhere is not None
    assert (anywhere.origin, anywhere.total, anywhere.note, anywhere.key, anywhere.sources) == (
        "clinic",
        IntRange(30000, 36000),
        "House price",
        "",
        (),
    )
    scalp = estimate(CATALOG, "facial_rejuvenation", "scalp", 3, "INR", overrides=overrides)
    assert scalp is not None and scalp.total == IntRange(54000, 66000)
    hair = estimate(CATALOG, "hair_loss", "scalp", 7, "INR", overrides=overrides)
    assert hair is not None
    assert (hair.unit, hair.per_session, hair.total) == ("course", None, IntRange(90000, 90000))


def test_a_clinic_price_in_another_currency_is_ignored() -> None:
    overrides = (PriceOverride("USD", "session", IntRange(300, 500)),)
    price = estimate(CATALOG, "hair_loss", "scalp", 4, "INR", overrides=overrides)
    assert price is not None and price.origin == "catalog"


def test_a_clinic_price_gives_a_usd_clinic_the_price_the_catalog_lacks() -> None:
    overrides = (PriceOverride("USD", "session", IntRange(300, 500), indication="hair_loss"),)
    price = estimate(CATALOG, "hair_loss", "scalp", 4, "usd", overrides=overrides)
    assert price is not None
    assert (price.currency, price.total) == ("USD", IntRange(1200, 2000))


def test_a_clinic_price_needs_a_maximum_and_cannot_be_negative() -> None:
    with pytest.raises(ValueError, match="maximum"):
        PriceOverride("INR", "session", IntRange(1000, None))
    with pytest.raises(ValueError, match="negative"):
        PriceOverride("INR", "session", IntRange(-5, 10))


def test_a_course_needs_at_least_one_session() -> None:
    with pytest.raises(ValueError, match="at least one session"):
        estimate(CATALOG, "hair_loss", "scalp", 0, "INR")


@given(
    sessions=st.integers(min_value=1, max_value=15),
    low=st.integers(min_value=0, max_value=10**6),
    spread=st.integers(min_value=0, max_value=10**6),
)
def test_a_per_session_price_multiplies_by_the_number_of_sessions(
    sessions: int, low: int, spread: int
) -> None:
    own = PriceOverride("INR", "session", IntRange(low, low + spread))
    price = estimate(CATALOG, "hair_loss", "scalp", sessions, "INR", overrides=(own,))
    assert price is not None
    assert price.total == IntRange(low * sessions, (low + spread) * sessions)
    assert price.per_session == IntRange(low, low + spread)
