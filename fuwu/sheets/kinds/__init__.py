"""The import kinds by key."""

from __future__ import annotations

from fuwu.sheets.kinds.base import ImportKind
from fuwu.sheets.kinds.catalogue import Operations, Parts
from fuwu.sheets.kinds.fees import OpeningBalances
from fuwu.sheets.kinds.people import Residents, Units, Vehicles
from fuwu.sheets.kinds.staff import People

KINDS: dict[str, ImportKind] = {
    k.key: k
    for k in (
        Units(),
        Residents(),
        Vehicles(),
        People(),
        Parts(),
        Operations(),
        OpeningBalances(),
    )
}
