"""Labelled jets from sample files, read through the framework (never opened here)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from algorithms.jet_tagger.inputs import jet_rows, needs
from trigger.errors import L1EmuError
from trigger.features import ObjectCut, read_events
from trigger.io import builtin_schema, expand_inputs, open_dataset

__all__ = ["labelled_jets"]


def labelled_jets(
    inputs: list[str], max_per_class: int | None = None, collection: str = "fatjets"
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """(inputs (n, 16), label (n,), pt (n,)) of every labelled jet, at most ``max_per_class`` per class
    in file order."""
    schema = builtin_schema("l1emu")
    want = needs(collection, ("label",))
    files = expand_inputs(inputs)
    dataset = open_dataset(files, schema, want.branches(schema))
    xs, ys, pts = [], [], []
    for item in dataset.work_items(50_000):
        chunk = read_events(item, schema, want)
        x, _, more = jet_rows(chunk, collection, ObjectCut(), ("label", "pt"))
        xs.append(x)
        ys.append(more["label"].astype(np.int64))
        pts.append(more["pt"])
    if not xs or not sum(len(x) for x in xs):
        raise L1EmuError(f"no labelled jets ({collection}) in {', '.join(inputs)}; generate boosted-* samples")
    x, y, pt = np.concatenate(xs), np.concatenate(ys), np.concatenate(pts)
    if max_per_class is not None:
        keep = np.zeros(len(y), dtype=bool)
        for k in np.unique(y):
            keep[np.flatnonzero(y == k)[:max_per_class]] = True
        x, y, pt = x[keep], y[keep], pt[keep]
    return x, y, pt
