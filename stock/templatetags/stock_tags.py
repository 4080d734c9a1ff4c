"""Amounts of stock as people write them."""

from decimal import Decimal

from django import template

from stock.stock import amount as plain_amount

register = template.Library()


@register.filter
def amount(value: Decimal | None) -> str:
    """2.500 -> "2.5", 10.000 -> "10"; "" for None."""
    return "" if value is None else plain_amount(Decimal(value))
