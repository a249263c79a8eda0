"""Gun muons from sample files with their L1 muon, read through the framework (never opened here).

A ``muon-gun`` event holds one generated muon (``genmuons``) and, when the muon system found it, one L1
muon whose ``genPt`` is that muon's pT; pile-up L1 muons carry ``genPt = -1`` and are not gun muons.
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from algorithms.muon_pt.inputs import FEATURES, muon_rows, needs
from trigger.errors import L1EmuError
from trigger.features import ObjectCut, read_events
from trigger.io import builtin_schema, expand_inputs, open_dataset
from trigger.io.reader import Needs

__all__ = ["GunMuons", "gun_muons"]


@dataclass(frozen=True)
class GunMuons:
    """One entry per gun muon (|eta| < 2.4); ``found``: the muon system made an L1 muon of it, whose
    inputs ``x`` (zeros if not found), classic pT (0) and quality (0) follow."""

    gen_pt: NDArray[np.float64]
    gen_eta: NDArray[np.float64]
    gen_charge: NDArray[np.float64]
    found: NDArray[np.bool_]
    x: NDArray[np.float64]
    classic_pt: NDArray[np.float64]
    quality: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.gen_pt)

    def subset(self, mask: NDArray[np.bool_]) -> GunMuons:
        return GunMuons(*(np.asarray(getattr(self, f))[mask] for f in self.__dataclass_fields__))


def gun_muons(inputs: list[str], max_muons: int | None = None, collection: str = "muons") -> GunMuons:
    """Every gun muon of the ``muon-gun`` files ``inputs`` (file order), at most ``max_muons``."""
    schema = builtin_schema("l1emu")
    want = needs(collection, ("genPt",)) | Needs({"genmuons": frozenset({"pt", "eta", "charge"})})
    files = expand_inputs(inputs)
    dataset = open_dataset(files, schema, want.branches(schema))
    parts: list[GunMuons] = []
    total = 0
    for item in dataset.work_items(100_000):
        chunk = read_events(item, schema, want)
        gen = chunk.collections["genmuons"]
        n_gen = np.asarray(ak.num(gen.pt, axis=1))
        if np.any(n_gen != 1):
            raise L1EmuError(
                f"{item.path}: {int(np.sum(n_gen != 1))} events without exactly one generated muon; "
                "the muon pT regressor trains on muon-gun samples (`l1emu generate muon-gun`)"
            )
        g_pt = np.asarray(gen.pt[:, 0], dtype=np.float64)
        g_eta = np.asarray(gen.eta[:, 0], dtype=np.float64)
        g_q = np.asarray(gen.charge[:, 0], dtype=np.float64)
        x, event, more = muon_rows(chunk, collection, ObjectCut(), 0, ("genPt", "pt", "quality"))
        mine = more["genPt"] > 0  # the gun muon; pile-up muons have genPt = -1
        x, event = x[mine], event[mine]
        rows = np.zeros((chunk.n, len(FEATURES)))
        rows[event] = x
        found = np.zeros(chunk.n, dtype=bool)
        found[event] = True
        classic, quality = np.zeros(chunk.n), np.zeros(chunk.n)
        classic[event], quality[event] = more["pt"][mine], more["quality"][mine]
        part = GunMuons(g_pt, g_eta, g_q, found, rows, classic, quality).subset(np.abs(g_eta) < 2.4)
        parts.append(part)
        total += len(part)
        if max_muons is not None and total >= max_muons:
            break
    if not total:
        raise L1EmuError(f"no gun muons in {', '.join(inputs)}; generate muon-gun samples (make muon-pt-samples)")
    out = GunMuons(*(np.concatenate([getattr(p, f) for p in parts]) for f in GunMuons.__dataclass_fields__))
    return out if max_muons is None else out.subset(np.arange(len(out)) < max_muons)
