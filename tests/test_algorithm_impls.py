"""Physics of the algorithms on every implementation (float, fixed, hls C simulation), against plain awkward."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import uproot

from trigger.features import read_events
from trigger.io import builtin_schema
from trigger.io.files import WorkItem
from trigger.menu import make_algorithm


def test_fixed_ht_is_the_sum_of_the_leading_jets(impl: Any, toy_sample: Path) -> None:
    algo = make_algorithm("fixed_ht", {"slots": 6, "min_pt": 30.0, "max_abs_eta": 2.4})
    chunk = read_events(WorkItem(0, str(toy_sample), "Events", 0, 3_000), builtin_schema("l1emu"), algo.needs())
    ht = impl(algo, chunk)["ht"]
    with uproot.open(toy_sample) as f:
        a = f["Events"].arrays(["L1Jet_pt", "L1Jet_eta"], entry_stop=3_000)
    pt = a["L1Jet_pt"][(a["L1Jet_pt"] >= 30) & (abs(a["L1Jet_eta"]) <= 2.4)]
    lead = ak.sort(pt, axis=1, ascending=False)[:, :6]
    ref = np.asarray(ak.sum(lead, axis=1), dtype=np.float64)
    assert ref.max() > 300
    if impl.kind == "float":
        np.testing.assert_allclose(ht, ref, rtol=1e-6)  # float32 file values summed in float64
    else:
        # each pt truncated onto ap_ufixed<11,10,AP_TRN,AP_SAT>'s 0.5 GeV grid: at most 6 x 0.5 GeV low
        below = ref - ht
        assert below.min() >= 0 and below.max() < 6 * 0.5
        assert np.all(np.asarray(ak.max(lead, axis=1, mask_identity=False)) < 1023.5)  # no saturation here
