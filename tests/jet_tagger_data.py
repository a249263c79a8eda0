"""A tiny labelled wide-jet file in the sample schema (FatJet rows and the same jets as L1WideJet), with
class-dependent substructure so a few epochs learn something; seconds to write."""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import uproot

from algorithms.jet_tagger.inputs import FEATURES


def write_jets(path: Path, n_events: int = 3_000, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 3, n_events)
    n = int(counts.sum())
    label = rng.integers(0, 5, n)
    mass_peak = np.array([40.0, 60.0, 80.0, 91.0, 172.0])[label]
    cols = {
        "pt": rng.uniform(800, 1200, n),
        "eta": rng.uniform(-2.4, 2.4, n),
        "phi": rng.uniform(-np.pi, np.pi, n),
        "mass": mass_peak * rng.normal(1.0, 0.1, n) + 20,
        "label": label.astype(np.int32),
    }
    for k, name in enumerate(FEATURES):
        base = rng.normal(0.0, 1.0, n) + 0.6 * np.sin(label * (k + 1))
        cols[name] = base * (10.0 ** (k % 4 - 2))
    cols["j_mass_mmdt"] = mass_peak * rng.normal(1.0, 0.12, n)
    cols["j_multiplicity"] = np.round(rng.normal(20 + 8 * (label == 1) + 10 * (label == 4), 5, n)).clip(1, None)
    jets = {
        k: ak.unflatten(np.asarray(v, dtype=np.int32 if k == "label" else np.float32), counts) for k, v in cols.items()
    }
    wide = {k: v for k, v in jets.items() if k != "label"}
    data = {"FatJet": ak.zip(jets), "L1WideJet": ak.zip(wide), "weight": np.ones(n_events)}
    with uproot.recreate(path) as f:  # a TTree (f["Events"] = ... would write an RNTuple)
        tree = f.mktree("Events", {k: (v.type if isinstance(v, ak.Array) else v.dtype) for k, v in data.items()})
        tree.extend(data)
    return path
