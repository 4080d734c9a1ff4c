"""The forms of the stock and device pages. They read the input; the rules
(an expiry already past, more out than on hand, a cleaning out of order)
are stock.stock's and stock.cleaning's, which name the field refused."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_lazy

from clinics.models import Clinic, Device
from mesoclinic.catalog import get_catalog
from stock.models import CleaningMethod, MovementKind, Product
from stock.stock import UNITS

QUANTITY = {"max_digits": 10, "decimal_places": 3}


class ReceiveForm(forms.Form):
    product = forms.ModelChoiceField(label=gettext_lazy("Product"), queryset=Product.objects.none())
    number = forms.CharField(label=gettext_lazy("Lot number"), max_length=80)
    expiry = forms.DateField(
        label=gettext_lazy("Expiry date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    quantity = forms.DecimalField(
        label=gettext_lazy("Quantity received"),
        min_value=Decimal("0.001"),
        help_text=gettext_lazy("In the product's unit (ml, g, vials...)."),
        **QUANTITY,
    )
    received_on = forms.DateField(
        label=gettext_lazy("Received on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Today if left blank."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=200)

    def __init__(self, *args: Any, clinic: Clinic, **kw: Any) -> None:
        super().__init__(*args, **kw)
        products = Product.objects.filter(clinic=clinic, active=True).order_by("name")
        self.fields["product"].queryset = products  # type: ignore[attr-defined]
        self.fields["product"].label_from_instance = product_label  # type: ignore[attr-defined]


def product_label(product: Product) -> str:
    label = f"{product} ({product.unit})"
    if not product.authorised_supplier:
        label += " — " + gettext("unauthorised supplier")
    return label


MOVEMENT_LABELS = {
    MovementKind.WASTED: gettext_lazy("Wasted or discarded (amount out)"),
    MovementKind.RETURNED: gettext_lazy("Returned to the supplier (amount out)"),
    MovementKind.ADJUSTED: gettext_lazy("Count correction (+ found, - missing)"),
}


class MovementForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What happened"))
    quantity = forms.DecimalField(label=gettext_lazy("Quantity"), **QUANTITY)
    note = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Required for a count correction."),
    )

    def __init__(self, *args: Any, kinds: list[str], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["kind"].choices = [(k, MOVEMENT_LABELS[k]) for k in kinds]  # type: ignore[attr-defined]


def active_choices() -> list[tuple[str, str]]:
    actives = get_catalog().actives
    return sorted(((k, gettext(a.name)) for k, a in actives.items()), key=lambda c: c[1])


class ProductForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    brand = forms.CharField(label=gettext_lazy("Brand"), max_length=200, required=False)
    supplier = forms.CharField(label=gettext_lazy("Supplier"), max_length=200, required=False)
    authorised_supplier = forms.BooleanField(
        label=gettext_lazy("Bought from the maker or a distributor it authorises"),
        required=False,
        help_text=gettext_lazy(
            "Beware of counterfeit products: a product from any other seller is flagged."
        ),
    )
    actives = forms.MultipleChoiceField(
        label=gettext_lazy("Active ingredients"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    unit = forms.ChoiceField(label=gettext_lazy("Counted in"), choices=[(u, u) for u in UNITS])
    reorder_level = forms.DecimalField(
        label=gettext_lazy("Reorder level"),
        min_value=Decimal(0),
        initial=0,
        help_text=gettext_lazy("Listed as low on stock at or below this amount; 0: never."),
        **QUANTITY,
    )
    active = forms.BooleanField(label=gettext_lazy("Stocked"), required=False, initial=True)

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["actives"].choices = active_choices()  # type: ignore[attr-defined]


class CleaningForm(forms.Form):
    device = forms.ModelChoiceField(label=gettext_lazy("Device"), queryset=Device.objects.none())
    cleaned_at = forms.DateTimeField(
        label=gettext_lazy("Cleaned at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("The clinic's local time; now if left blank."),
    )
    method = forms.ChoiceField(label=gettext_lazy("Method"), choices=CleaningMethod.choices)
    cycle = forms.CharField(
        label=gettext_lazy("Steriliser cycle or batch"), required=False, max_length=80
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, clinic: Clinic, device: Device | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        devices = Device.objects.filter(clinic=clinic).order_by("name")
        self.fields["device"].queryset = devices  # type: ignore[attr-defined]
        if device is not None:
            # The device's own page: the device is the page's.
            del self.fields["device"]
