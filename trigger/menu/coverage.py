"""Seeds that ask for objects a file cannot hold: thresholds below the cuts the file was written with.

Central NanoAOD writes its L1 tables reduced (muons pt >= 3 GeV with quality >= 8, jets >= 30,
e/gamma >= 10, taus >= 24 GeV; ``stored_cuts`` of the ``l1nano`` schema): a seed at a lower threshold,
or accepting lower muon qualities, would fire on objects that are missing, so its rate is too low.

>>> from trigger.io import builtin_schema
>>> from trigger.menu.model import Leg, Menu, Seed
>>> menu = Menu("m", (Seed("L1_SingleJet20", (Leg("jets", 20.0),)),))
>>> below_stored_cuts(menu, builtin_schema("l1nano"))[0]
'seed L1_SingleJet20: legs[0] asks for jets with pt >= 20 GeV, but schema l1nano says the file holds only jets \
with pt >= 30 GeV: its rate is underestimated'
"""

from __future__ import annotations

from trigger.io.schema import Schema
from trigger.menu.model import Menu, Seed

__all__ = ["below_stored_cuts", "scan_below_stored_cut"]


def below_stored_cuts(menu: Menu, schema: Schema) -> list[str]:
    """One warning per seed leg whose pt threshold or allowed muon qualities reach below ``schema.stored_cuts``."""
    out = []
    for seed in menu.seeds:
        for i, leg in enumerate(seed.legs):
            cut = schema.stored_cuts.get(leg.collection)
            if cut is None:
                continue
            where = f"seed {seed.name}: legs[{i}] asks for {leg.collection}"
            tail = f"but schema {schema.name} says the file holds only {leg.collection} with"
            if leg.min_pt < cut.min_pt:
                asked = f"with pt >= {leg.min_pt:g} GeV"
                out.append(f"{where} {asked}, {tail} pt >= {cut.min_pt:g} GeV: its rate is underestimated")
            q = cut.min_quality
            if q is not None and (leg.quality is None or min(leg.quality) < q):
                allowed = "of any quality" if leg.quality is None else f"with quality {min(leg.quality)}"
                out.append(f"{where} {allowed}, {tail} quality >= {q}: its rate is underestimated")
    return out


def scan_below_stored_cut(seed: Seed, leg_index: int, lowest: float, schema: Schema) -> str | None:
    """The warning for a threshold scan of ``seed``'s leg ``leg_index`` that reaches ``lowest``, below
    the pt cut the file was written with (the rates there are underestimated), else None."""
    leg = seed.legs[leg_index]
    cut = schema.stored_cuts.get(leg.collection)
    if cut is None or lowest >= cut.min_pt:
        return None
    return (
        f"seed {seed.name}: thresholds of legs[{leg_index}] below {cut.min_pt:g} GeV (down to {lowest:g}) are "
        f"underestimated: schema {schema.name} says the file holds only {leg.collection} with pt >= {cut.min_pt:g} GeV"
    )
