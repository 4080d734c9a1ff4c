"""Who may do what with the clinic's stock and devices: least privilege.

Every member of staff sees the stock and the devices. The front desk
receives deliveries (and hands a wrong one back to the supplier) but
neither discards nor corrects counts; practitioners record waste and the
cleanings of the devices they use; managers do everything, and alone
manage the products and correct counts. Who received which lot is found
through the charts, which only staff who may read records see
(clinical.access.CLINICAL_READ_ROLES).
"""

from __future__ import annotations

from clinics.models import Role
from stock.models import MovementKind

VIEW_ROLES = frozenset({Role.FRONT_DESK, Role.PRACTITIONER, Role.MANAGER})
RECEIVE_ROLES = frozenset({Role.FRONT_DESK, Role.MANAGER})
PRODUCT_ROLES = frozenset({Role.MANAGER})
CLEANING_ROLES = frozenset({Role.PRACTITIONER, Role.MANAGER})
MOVEMENT_ROLES: dict[str, frozenset[str]] = {
    MovementKind.WASTED: frozenset({Role.PRACTITIONER, Role.MANAGER}),
    MovementKind.RETURNED: frozenset({Role.FRONT_DESK, Role.MANAGER}),
    MovementKind.ADJUSTED: frozenset({Role.MANAGER}),
}


def movement_kinds(role: str) -> list[str]:
    """The kinds of movement ``role`` may record by hand."""
    return [kind for kind, roles in MOVEMENT_ROLES.items() if role in roles]
