"""What a clinic's country allows, for one protocol at one area.

``notes_for`` returns the catalog's regulations that touch a protocol, each
as a RegulatoryNote. A "banned" note means the protocol may not be offered;
"off_label" means the active is approved in that country but for other areas
only; "warning" and "unlicensed" are cautions the clinician should weigh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.catalog.model import Catalog, Protocol, Regulation

NoteStatus = Literal["banned", "off_label", "approved", "warning", "unlicensed"]


@dataclass(frozen=True)
class RegulatoryNote:
    key: str
    country: str
    status: NoteStatus
    summary: str
    sources: tuple[str, ...]


def _touches(catalog: Catalog, reg: Regulation, protocol: Protocol) -> bool:
    if reg.actives and set(reg.actives) & set(protocol.actives):
        return True
    if reg.lipolytic:
        indication = catalog.indications[protocol.indication]
        return indication.lipolytic or any(catalog.actives[a].lipolytic for a in protocol.actives)
    return False


def notes_for(
    catalog: Catalog, country: str, protocol: Protocol, area: str
) -> list[RegulatoryNote]:
    """The regulations of ``country`` that touch ``protocol`` at ``area``.

    A "warning" about lipolytic products is dropped where an "approved" rule
    of the same country covers every lipolytic active of the protocol at
    this area (deoxycholic acid under the chin in the USA).
    """
    country = country.upper()
    regs = [r for r in catalog.regulations_for(country) if _touches(catalog, r, protocol)]
    notes: list[RegulatoryNote] = []
    approved_here: set[str] = set()
    for reg in regs:
        if reg.status == "approved":
            status: NoteStatus = "approved" if area in reg.approved_areas else "off_label"
            if status == "approved":
                approved_here.update(reg.actives)
        else:
            status = reg.status
        notes.append(RegulatoryNote(reg.key, country, status, reg.summary, reg.sources))
    lipolytic_actives = {a for a in protocol.actives if catalog.actives[a].lipolytic}
    if lipolytic_actives and lipolytic_actives <= approved_here:
        notes = [n for n in notes if n.status != "warning"]
    return notes


def is_banned(notes: list[RegulatoryNote]) -> bool:
    return any(n.status == "banned" for n in notes)
