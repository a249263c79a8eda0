"""Bad input gets a clear error, a non-zero exit and no partial output (issue 5 item 7)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

from tests.rates_helpers import DEFAULT_MENU, menu_yaml, write_events
from trigger.cli import main
from trigger.errors import (
    BadInputFileError,
    ConfigError,
    EmptyInputError,
    MissingBranchError,
    UnknownAlgorithmError,
    UnknownSeedError,
)
from trigger.io import builtin_schema, detect_schema, load_schema, open_dataset
from trigger.menu import load_menu

ONE_SEED = "  SingleMu5: {legs: [{collection: muons, min_pt: 5}]}\n"


def _tiny(path: Path, **over: object) -> Path:
    cols: dict[str, object] = {
        "weight": [1.0, 2.0, 1.0],
        "L1Mu_pt": [[6.0], [], [3.0, 7.0]],
        "L1Mu_eta": [[0.1], [], [0.2, -1.0]],
        "L1Mu_phi": [[0.0], [], [1.0, 2.0]],
        "L1Mu_bx": [[0], [], [0, 0]],
        "L1EtSum_HT": [100.0, 200.0, 300.0],
    }
    cols.update(over)
    return write_events(path, cols)


def _rates(tmp_path: Path, inputs: list[str], menu: Path | None = None, *extra: str) -> int:
    m = menu or menu_yaml(tmp_path / "m.yaml", ONE_SEED)
    return main(["rates", str(m), "--input", *inputs, "--schema", "l1emu", "-o", str(tmp_path / "out"), *extra])


def test_missing_branch_names_file_tree_and_nearest(tmp_path: Path) -> None:
    f = write_events(
        tmp_path / "a.root", {"weight": [1.0], "L1Mu_ptt": [[1.0]], "L1Mu_eta": [[0.0]], "L1Mu_phi": [[0.0]]}
    )
    schema = builtin_schema("l1emu")
    with pytest.raises(MissingBranchError) as info:
        open_dataset([str(f)], schema, {"L1Mu_pt", "weight"})
    msg = str(info.value)
    assert str(f) in msg and ":Events" in msg and "'L1Mu_pt' (nearest: 'L1Mu_ptt'" in msg
    assert isinstance(info.value, KeyError)


def test_cli_bad_inputs_exit_nonzero_without_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _tiny(tmp_path / "good.root")
    corrupt = tmp_path / "corrupt.root"
    corrupt.write_bytes(b"root\x00" + bytes(range(256)) * 10)
    none = ak.Array([[1.0]])[:0]
    empty = write_events(
        tmp_path / "empty.root",
        {
            "weight": np.zeros(0),
            "L1Mu_pt": none,
            "L1Mu_eta": none,
            "L1Mu_phi": none,
            "L1Mu_bx": ak.Array([[0]])[:0],
        },
    )
    bad_menu = tmp_path / "bad.yaml"
    bad_menu.write_text("menu_version: 1\nname: x\nseeds: {A: {legs: [{collection: muons, min_pt: [}]}")
    cases = {
        "missing file": ([str(tmp_path / "nope.root")], None, "does not exist"),
        "corrupt file": ([str(corrupt)], None, "cannot open"),
        "empty tree": ([str(empty)], None, "no events to process"),
        "glob matches nothing": ([str(tmp_path / "*.nothing")], None, "matches no file"),
        "malformed yaml": ([str(good)], bad_menu, "malformed YAML"),
        "unknown collection": (
            [str(good)],
            menu_yaml(tmp_path / "u.yaml", "  A: {legs: [{collection: muon, min_pt: 1}]}\n"),
            "did you mean 'muons'",
        ),
    }
    for name, (inputs, menu, needle) in cases.items():
        assert _rates(tmp_path, inputs, menu) == 2, name
        err = capsys.readouterr().err
        assert needle in err, (name, err)
        assert not (tmp_path / "out").exists(), name


def test_skip_bad_files_lists_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _tiny(tmp_path / "good.root")
    corrupt = tmp_path / "corrupt.root"
    corrupt.write_bytes(b"not a root file")
    assert _rates(tmp_path, [str(good), str(corrupt)], None, "--skip-bad-files") == 0
    out = capsys.readouterr().out
    assert f"note: skipped file {corrupt}" in out
    report = json.loads((tmp_path / "out" / "rates.json").read_text())
    assert report["skipped"][0]["path"] == str(corrupt)
    assert report["events"] == 3
    assert report["seeds"][0]["raw"]["count"] == 2
    assert report["seeds"][0]["raw"]["sumw"] == 2.0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "rates.csv",
        "rates.json",
        "rates.md",
        "rates.txt",
    ]


def test_nonfinite_values_are_counted_and_fail_cuts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _tiny(
        tmp_path / "nan.root",
        L1Mu_pt=[[float("inf")], [], [float("nan"), 7.0]],
        L1EtSum_HT=[float("nan"), 200.0, float("inf")],
    )
    menu = menu_yaml(tmp_path / "m.yaml", ONE_SEED + "  HT50: {sums: [{sum: HT, min: 50}]}\n")
    assert _rates(tmp_path, [str(f)], menu) == 0
    report = json.loads((tmp_path / "out" / "rates.json").read_text())
    assert report["nonfinite"] == {"L1Mu_pt": 2, "L1EtSum_HT": 2}
    assert [s["raw"]["count"] for s in report["seeds"]] == [1, 1]
    assert report["dropped"] == {"muons": 2}
    out = capsys.readouterr().out
    assert "2 non-finite values in L1Mu_pt" in out
    assert "2 muons objects with a non-finite pt, eta or phi dropped before any seed" in out


def test_nonfinite_objects_are_dropped_for_every_seed_whatever_the_menu_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # ev0: a 6 GeV muon with eta NaN (dropped) -> SingleMu5 does not fire; ev2: the 7 GeV muon has phi inf
    # (dropped), the 3 GeV one is below 5 -> does not fire; ev1: no muon. By hand: SingleMu5 fires on no event.
    f = _tiny(tmp_path / "nan.root", L1Mu_eta=[[float("nan")], [], [0.2, -1.0]], L1Mu_phi=[[0.0], [], [1.0, np.inf]])
    counts = []
    for seeds in (ONE_SEED, ONE_SEED + "  Mu1_Mu1_dR: {legs: [" + MU + ", " + MU + "], cross: {max_dr: 9}}\n"):
        assert _rates(tmp_path, [str(f)], menu_yaml(tmp_path / "m.yaml", seeds)) == 0
        report = json.loads((tmp_path / "out" / "rates.json").read_text())
        counts.append(report["seeds"][0]["raw"]["count"])
        assert report["dropped"] == {"muons": 2}
        assert report["nonfinite"] == {"L1Mu_eta": 1, "L1Mu_phi": 1}
    assert counts == [0, 0]  # the pt-only seed does not depend on the dR seed beside it
    capsys.readouterr()


S = "seeds.L1_DoubleMu_15_7"
MU = "{collection: muons, min_pt: 1}"
MENU_ERRORS = [
    (
        "legs: [{collection: muons, min_pt: 15}, {collection: muons, min_pt: -7}]",
        f"{S}.legs[1].min_pt: expected a number >= 0, got -7",
    ),
    (
        "legs: [{collection: muons, min_pt: 15}, {collection: muons, min_pt: seven}]",
        f"{S}.legs[1].min_pt: expected a number, got 'seven'",
    ),
    (
        "legs: [{collection: muons, min_pt: 15, max_abs_eta: 2.4, qualty: [12]}]",
        f"{S}.legs[0].qualty: unknown key; did you mean 'quality'",
    ),
    (f"{{legs: [{MU}], prescale: 0.5}}", f"{S}.prescale: expected 0 (disabled) or a number >= 1, got 0.5"),
    (f"{{legs: [{MU}], prescale: 1.234}}", f"{S}.prescale: expected at most two decimals"),
    (
        "{legs: [{collection: muons, min_pt: 1, multiplicity: 3}], cross: {max_dr: 1}}",
        f"{S}.cross: expected cross conditions on a seed that takes exactly two objects",
    ),
    ("{algorithm: {name: fixed_hht, min: 3}}", "unknown algorithm 'fixed_hht'; did you mean 'fixed_ht'"),
    ("{algorithm: {name: fixed_ht, min: 3, output: met}}", "algorithm.output: expected one of algorithm"),
    ("{algorithm: {name: fixed_ht, min: 3, options: {slots: 0}}}", "bad options for algorithm 'fixed_ht'"),
    ("{}", f"{S}: a seed needs at least one of legs, sums, algorithm"),
]


@pytest.mark.parametrize(("body", "message"), MENU_ERRORS)
def test_menu_errors_give_file_key_path_and_expectation(tmp_path: Path, body: str, message: str) -> None:
    if body.startswith("legs"):
        body = "{" + body + "}"
    path = menu_yaml(tmp_path / "menu.yaml", f"  L1_DoubleMu_15_7: {body}\n")
    with pytest.raises((ConfigError, UnknownAlgorithmError)) as info:
        load_menu(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_menu_top_level_and_defaults(tmp_path: Path) -> None:
    (tmp_path / "v2.yaml").write_text("menu_version: 2\nname: x\nseeds: {}\n")
    with pytest.raises(ConfigError, match="menu_version: expected 1"):
        load_menu(tmp_path / "v2.yaml")
    menu = load_menu(DEFAULT_MENU)
    assert len(menu.seeds) >= 20
    assert menu.zero_bias_khz == pytest.approx(31037.856)
    assert menu.budget_khz == 100.0
    with pytest.raises(UnknownSeedError, match="did you mean 'L1_SingleMu22'"):
        menu.seed("L1_SingleMu2")


def test_user_schema_yaml_and_detection(tmp_path: Path) -> None:
    good = _tiny(tmp_path / "good.root")
    assert detect_schema([str(good)]).name == "l1emu"
    (tmp_path / "s.yaml").write_text(
        "schema_version: 1\nname: mine\ntree: Events\nweight: weight\n"
        "collections:\n  mu: {pt: L1Mu_pt, eta: L1Mu_eta, phi: L1Mu_phi}\nsums:\n  H: {branch: L1EtSum_HT}\n"
    )
    s = load_schema(tmp_path / "s.yaml")
    assert s.collections["mu"].fields["pt"] == "L1Mu_pt" and s.sums["H"].branch == "L1EtSum_HT"
    (tmp_path / "bad.yaml").write_text("schema_version: 1\nname: b\ntree: Events\ncollections:\n  mu: {pt: x}\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: collections.mu: needs pt, eta, phi"):
        load_schema(tmp_path / "bad.yaml")
    with pytest.raises(KeyError, match="did you mean 'l1nano'"):
        load_schema("l1nan")


def test_open_dataset_globs_and_max_events(tmp_path: Path) -> None:
    for i in range(3):
        _tiny(tmp_path / f"f{i}.root")
    ds = open_dataset([str(tmp_path / "f*.root")], builtin_schema("l1emu"), {"L1Mu_pt"})
    assert [Path(f.path).name for f in ds.files] == ["f0.root", "f1.root", "f2.root"]
    items = ds.work_items(chunk_size=2, max_events=5)
    # one 3-entry basket per file, split evenly into chunks of at most 2; 5 events in all
    assert [(Path(i.path).name, i.start, i.stop) for i in items] == [
        ("f0.root", 0, 1),
        ("f0.root", 1, 3),
        ("f1.root", 0, 1),
        ("f1.root", 1, 2),
    ]
    assert [i.index for i in items] == [0, 1, 2, 3]
    with pytest.raises(BadInputFileError, match="has no tree 'Evnts'"):
        open_dataset([str(tmp_path / "f0.root")], builtin_schema("l1emu"), {"L1Mu_pt"}, tree="Evnts")
    with pytest.raises(EmptyInputError, match="every input tree is empty or skipped"):
        open_dataset(
            [str(tmp_path / "zzz.root"), str(tmp_path / "f0.root")],
            builtin_schema("l1emu"),
            {"L1Mu_pt"},
            tree="Evnts",
            skip_bad_files=True,
        )


def test_corrupt_basket_mid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from trigger.io.synthetic import write_sample

    path = write_sample(tmp_path / "c.root", 6_000, chunk=2_000)  # three baskets per branch
    with uproot.open(path) as f:  # the middle basket of a branch the menu reads
        seek = int(f["Events"]["L1Mu_pt"].member("fBasketSeek")[1])
    data = bytearray(path.read_bytes())
    data[seek + 120 : seek + 620] = b"\x55" * 500  # overwrite basket payload, keep its key and the directory
    path.write_bytes(bytes(data))
    args = ["rates", str(DEFAULT_MENU), "-i", str(path), "--chunk-size", "2000"]
    assert main([*args, "-o", str(tmp_path / "a")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()
    assert main([*args, "-o", str(tmp_path / "b"), "--skip-bad-files"]) == 0
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "b" / "rates.json").read_text())
    skipped = report["skipped"]
    assert len(skipped) == 1 and re.search(r"c\.root:Events entries \d+-\d+$", skipped[0]["path"])
    assert "cannot read" in skipped[0]["reason"]
    assert report["events"] == 4_000  # one 2 000-event chunk skipped, listed, not silently dropped
    assert f"note: skipped file {skipped[0]['path']}" in out


def test_cut_on_a_field_the_schema_lacks(tmp_path: Path) -> None:
    from trigger.io import builtin_schema
    from trigger.rates import RateProcessor

    menu = load_menu(menu_yaml(tmp_path / "m.yaml", "  Q: {legs: [{collection: muons, min_pt: 1, quality: [12]}]}\n"))
    with pytest.raises(KeyError, match="seed Q cuts on quality of 'muons', which schema 'nanoaod' does not provide"):
        RateProcessor(menu, builtin_schema("nanoaod"))
