"""Built-in schemas for CMS L1Ntuple (L1UpgradeTree) and L1Nano: typed energy sums, bx selection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import uproot

from trigger.io import builtin_schema, detect_schema, read_chunk
from trigger.io.files import WorkItem
from trigger.io.reader import Needs


def test_l1upgrade_typed_sums_take_bx0_entry(tmp_path: Path) -> None:
    path = tmp_path / "l1ntuple.root"
    with uproot.recreate(path) as f:
        f.mkdir("l1UpgradeTree")
        data = {
            "jetEt": [[50.0, 20.0], []],
            "jetEta": [[0.1, 2.0], []],
            "jetPhi": [[0.0, 1.0], []],
            "jetBx": [[0, 0], []],
            "muonEt": [[], [12.0]],
            "muonEta": [[], [1.0]],
            "muonPhi": [[], [0.5]],
            "muonChg": [[], [1]],
            "muonQual": [[], [12]],
            "muonBx": [[], [0]],
            # per event: (type, bx, et); HT = type 1 at bx 0
            "sumType": [[1, 1, 2], [2, 1]],
            "sumBx": [[-1, 0, 0], [0, 0]],
            "sumEt": [[999.0, 70.0, 30.0], [40.0, 0.0]],
        }
        import awkward as ak

        arrays = {k: ak.Array(v) for k, v in data.items()}
        f["l1UpgradeTree"].mktree("L1UpgradeTree", {k: v.type for k, v in arrays.items()})
        f["l1UpgradeTree/L1UpgradeTree"].extend(arrays)
    schema = detect_schema([str(path)])
    assert schema.name == "l1upgrade"
    chunk = read_chunk(
        WorkItem(0, str(path), "l1UpgradeTree/L1UpgradeTree", 0, 2),
        schema,
        Needs({"muons": frozenset({"pt", "quality"})}, frozenset({"HT", "MET", "ETT"})),
    )
    np.testing.assert_array_equal(chunk.sums["HT"], [70.0, 0.0])
    np.testing.assert_array_equal(chunk.sums["MET"], [30.0, 40.0])
    assert np.isnan(chunk.sums["ETT"]).all()  # no type-0 entry: NaN fails every cut
    assert chunk.collections["muons"].quality.tolist() == [[], [12]]


def test_l1nano_schema_names() -> None:
    s = builtin_schema("l1nano")
    assert s.collections["muons"].fields["quality"] == "L1Mu_hwQual"
    assert s.sums["HT"].type_branch == "L1EtSum_etSumType" and s.sums["HT"].type_value == 1
