"""Built-in schemas for CMS L1Ntuple (L1UpgradeTree) and L1Nano: typed energy sums, bx selection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
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
            "muonEtaAtVtx": [[], [1.1]],
            "muonPhiAtVtx": [[], [0.4]],
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
    assert chunk.collections["muons"].eta.tolist() == [[], [1.1]]  # at the vertex (muonEtaAtVtx), as uGT cuts


def test_l1nano_schema_names() -> None:
    s = builtin_schema("l1nano")
    assert s.collections["muons"].fields["quality"] == "L1Mu_hwQual"
    assert s.sums["HT"].type_branch == "L1EtSum_etSumType" and s.sums["HT"].type_value == 1


def test_shipped_configs_validate() -> None:
    from tests.rates_helpers import REPO
    from trigger.io import load_schema
    from trigger.menu import load_menu

    schemas = sorted((REPO / "configs" / "schemas").glob("*.yaml"))
    menus = sorted((REPO / "configs" / "menus").glob("*.yaml"))
    assert schemas and menus
    for path in schemas:
        assert load_schema(path).collections
    for path in menus:
        assert load_menu(path).seeds


def test_example_schema_runs_on_hzz(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import skhep_testdata

    from tests.rates_helpers import DEFAULT_MENU, REPO
    from trigger.cli import main

    schema = REPO / "configs" / "schemas" / "hzz_cartesian.yaml"
    data = skhep_testdata.data_path("uproot-HZZ.root")
    # the default menu cuts on muon quality and bx, which this file lacks: a clear error, no output
    assert main(["rates", str(DEFAULT_MENU), "-i", data, "--schema", str(schema), "-o", str(tmp_path / "x")]) == 2
    menu = tmp_path / "m.yaml"
    menu.write_text(
        "menu_version: 1\nname: hzz\nseeds:\n"
        "  L1_SingleMu20: {legs: [{collection: muons, min_pt: 20, max_abs_eta: 2.4}]}\n"
        "  L1_HTT100: {sums: [{sum: HT, min: 100}]}\n"
    )
    assert main(["rates", str(menu), "-i", data, "--schema", str(schema), "-o", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "rates.json").exists() and not (tmp_path / "x").exists()
