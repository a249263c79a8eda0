"""The algorithm framework: entry-point plugins, one instance per (name, options), typed modes, the
features stage's slots and derived sums, and the ``skipped`` field every result carries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

from tests.rates_helpers import menu_yaml
from trigger.errors import ConfigError, UnknownAlgorithmError
from trigger.features import ObjectCut, leading, object_rows
from trigger.menu import Mode, load_menu, make_algorithm
from trigger.menu.algorithm import ENTRY_POINT_GROUP

ROOT = Path(__file__).resolve().parents[1]

PLUGIN_MENU = """
menu_version: 1
name: plugin
seeds:
  L1_Throwaway40:
    algorithm: {name: throwaway, output: score, min: 40, mode: both}
"""


def _install_plugin(where: Path) -> None:
    """A distribution on sys.path whose only content is an entry point naming tests.throwaway_algorithm."""
    info = where / "throwaway_l1emu_plugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: throwaway-l1emu-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nthrowaway = tests.throwaway_algorithm:make\n")


def test_plugin_registered_at_run_time_runs_in_rates(toy_sample: Path, tmp_path: Path) -> None:
    _install_plugin(tmp_path / "site")
    menu = tmp_path / "menu.yaml"
    menu.write_text(PLUGIN_MENU)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(ROOT)])}
    cmd = [
        sys.executable,
        "-c",
        "import sys; from trigger.cli import main; sys.exit(main())",
        "rates",
        str(menu),
        "-i",
        str(toy_sample),
        "-o",
        str(tmp_path / "o"),
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "o" / "rates.json").read_text())
    # independent count: plain uproot + awkward on the same file
    with uproot.open(toy_sample) as f:
        a = f["Events"].arrays(["L1Mu_pt", "weight"])
    lead = ak.fill_none(ak.max(a["L1Mu_pt"], axis=1), 0.0)
    fixed = np.floor(2 * np.asarray(lead, dtype=np.float64)) >= 40
    w = np.asarray(a["weight"], dtype=np.float64)
    row = report["seeds"][0]
    assert row["raw"]["count"] == int(fixed.sum()) > 0
    assert row["raw"]["sumw"] == pytest.approx(float(w[fixed].sum()), rel=1e-12)
    assert row["float_fixed_differ"] == int(np.count_nonzero((2 * np.asarray(lead) >= 40) != fixed))


def test_without_the_plugin_the_name_is_unknown_and_lists_the_registered() -> None:
    with pytest.raises(UnknownAlgorithmError) as err:
        make_algorithm("throwaway")
    assert "fixed_ht" in str(err.value) and "nn" in str(err.value) and ENTRY_POINT_GROUP in str(err.value)


def test_framework_never_imports_algorithms_or_cli() -> None:
    """Nothing under trigger/ imports algorithms/; nothing under algorithms/ imports trigger.cli."""
    for path in (ROOT / "trigger").rglob("*.py"):
        text = path.read_text()
        assert "import algorithms" not in text and "from algorithms" not in text, path
    for path in (ROOT / "algorithms").rglob("*.py"):
        assert "trigger.cli" not in path.read_text(), path


def test_one_instance_per_name_and_options_whatever_the_thresholds(toy_sample: Path, tmp_path: Path) -> None:
    """Two seeds on one fixed_ht with different thresholds and modes: one instance, evaluated once per chunk
    in the union of their modes."""
    from trigger.io import builtin_schema, open_dataset
    from trigger.menu.evaluate import SeedEvaluator
    from trigger.processor import run
    from trigger.rates import RateProcessor

    opts = "{slots: 4, min_pt: 30.0, max_abs_eta: 2.4}"
    menu = load_menu(
        menu_yaml(
            tmp_path / "m.yaml",
            f"""
  A: {{algorithm: {{name: fixed_ht, output: ht, min: 200, mode: float, options: {opts}}}}}
  B: {{algorithm: {{name: fixed_ht, output: ht, min: 320, mode: fixed, options: {opts}}}}}
""",
        )
    )
    schema = builtin_schema("l1emu")
    ev = SeedEvaluator(menu, schema)
    assert len(ev._algos) == 1 and set(ev._modes.values()) == {Mode.BOTH}
    assert menu.seeds[0].algorithm is not None and menu.seeds[1].algorithm is not None
    assert make_algorithm("fixed_ht", menu.seeds[0].algorithm.kwargs) is make_algorithm(
        "fixed_ht", menu.seeds[1].algorithm.kwargs
    )
    proc = RateProcessor(menu, schema)
    table = run(proc, open_dataset([str(toy_sample)], schema, proc.needs().branches(schema))).result
    # both decisions from the one evaluation: A (float) fires at least as often as B (fixed, higher cut)
    assert table.seeds[0].raw.count >= table.seeds[1].raw.count > 0


def test_mode_is_an_enum_read_in_one_place(tmp_path: Path) -> None:
    bad = menu_yaml(tmp_path / "m.yaml", "  A: {algorithm: {name: fixed_ht, output: ht, min: 1, mode: fast}}\n")
    with pytest.raises(ConfigError, match="one of float, fixed, both"):
        load_menu(bad)
    assert (Mode.FLOAT | Mode.FIXED) is Mode.BOTH and Mode.FIXED.deciding == "fixed" and not Mode.FIXED.wants_float


def test_leading_slots_against_plain_python() -> None:
    rng = np.random.default_rng(3)
    events = []
    for _ in range(300):
        k = int(rng.integers(0, 7))
        events.append([{"pt": float(rng.choice([30.0, rng.uniform(0, 80)])), "eta": float(rng.uniform(-3, 3)),
                        "phi": float(rng.uniform(-3, 3))} for _ in range(k)])  # fmt: skip
    arr = ak.Array(events)
    cut = ObjectCut(30.0, 2.4)
    got, truncated = leading(arr, ("pt", "eta"), 3, cut)
    for i, objs in enumerate(events):
        keep = [o for o in objs if o["pt"] >= 30.0 and abs(o["eta"]) <= 2.4]  # the stated convention
        keep.sort(key=lambda o: -o["pt"])
        want = [v for o in keep[:3] for v in (o["pt"], o["eta"])]
        want += [0.0] * (6 - len(want))
        np.testing.assert_array_equal(got[i], want)
        assert truncated[i] == (len(keep) > 3)


def _plain_leading(events: list[list[dict[str, float]]], fields: tuple[str, ...], n: int) -> list[list[float]]:
    """Each event's slot block by hand: all objects pass, Python's stable sort by descending pt, the first n,
    non-finite values as 0, zero-padded."""
    rows = []
    for objs in events:
        lead = sorted(objs, key=lambda o: -o["pt"])[:n]
        row = [0.0 if not np.isfinite(o[f]) else o[f] for o in lead for f in fields]
        rows.append(row + [0.0] * (n * len(fields) - len(row)))
    return rows


def test_leading_slots_on_sliced_masked_and_unsorted_lists() -> None:
    """The slot builder reads a plain list of records from its buffers and anything else through awkward: a
    slice (offsets not starting at 0), a masked list (indexed records), unsorted events with NaN fields and
    integer fields, an empty chunk; each against a plain per-event loop."""
    rng = np.random.default_rng(7)
    events = []
    for _ in range(200):
        k = int(rng.integers(0, 8))
        events.append([{"pt": float(rng.choice([10.0, rng.uniform(0, 50)])), "eta": float(rng.uniform(-3, 3)),
                        "iso": int(rng.integers(0, 4)), "m": float(rng.choice([np.nan, np.inf, 1.5]))}
                       for _ in range(k)])  # fmt: skip
    arr = ak.Array(events)
    keep = arr.pt > 5.0
    kept = [[o for o in objs if o["pt"] > 5.0] for objs in events]
    fields = ("pt", "iso", "m")
    for got_arr, want_events in ((arr, events), (arr[37:150], events[37:150]), (arr[keep], kept)):
        got, dropped = leading(got_arr, fields, 3, ObjectCut(-np.inf))
        np.testing.assert_array_equal(got, _plain_leading(want_events, fields, 3))
        np.testing.assert_array_equal(dropped, [len(e) > 3 for e in want_events])
    empty, dropped = leading(arr[:0], fields, 2, ObjectCut())
    assert empty.shape == (0, 6) and dropped.shape == (0,)
    no_objects = arr[[i for i, e in enumerate(events) if not e]]
    none, dropped = leading(no_objects, fields, 2, ObjectCut())
    assert len(no_objects) > 0 and none.shape == (len(no_objects), 6) and not none.any() and not dropped.any()
    assert isinstance(arr[37:150].layout.content, ak.contents.RecordArray)  # the buffer path, offsets from 37
    assert not isinstance(arr[keep].layout.content, ak.contents.RecordArray)  # through ak.flatten


def test_object_rows_against_plain_python() -> None:
    rng = np.random.default_rng(4)
    events = []
    for _ in range(300):
        k = int(rng.integers(0, 6))
        events.append([{"pt": float(rng.choice([30.0, rng.uniform(0, 80)])), "eta": float(rng.uniform(-3, 3)),
                        "m": float(rng.choice([np.nan, rng.uniform(0, 9)]))} for _ in range(k)])  # fmt: skip
    rows, event = object_rows(ak.Array(events), ("m", "pt"), ObjectCut(30.0, 2.4))
    want, want_event = [], []
    for i, objs in enumerate(events):
        for o in objs:
            if o["pt"] >= 30.0 and abs(o["eta"]) <= 2.4:  # file order, the stated convention
                want.append([0.0 if np.isnan(o["m"]) else o["m"], o["pt"]])
                want_event.append(i)
    np.testing.assert_array_equal(rows, np.array(want).reshape(-1, 2))
    np.testing.assert_array_equal(event, want_event)


def test_ht_from_jets_with_a_jet_leg_without_eta_cut_on_nanoaod(tmp_path: Path) -> None:
    """Used to crash with ``no field named 'eta'``: HT is derived in the features stage with >= and <=."""
    from trigger.io import builtin_schema, open_dataset
    from trigger.processor import run
    from trigger.rates import RateProcessor

    path = ROOT.parent / "shared" / "data" / "nanoAOD_2015_CMS_Open_Data_ttbar.root"
    if not path.is_file():
        pytest.fail(f"shared data file {path} missing")
    menu = load_menu(
        menu_yaml(
            tmp_path / "m.yaml",
            "  SingleJet60: {legs: [{collection: jets, min_pt: 60}]}\n  HTT200: {sums: [{sum: HT, min: 200}]}\n",
        )
    )
    schema = builtin_schema("nanoaod")
    proc = RateProcessor(menu, schema)
    table = run(proc, open_dataset([str(path)], schema, proc.needs().branches(schema))).result
    with uproot.open(path) as f:
        a = f["Events"].arrays(["Jet_pt", "Jet_eta"])
    spec = schema.sums["HT"]
    sel = (a["Jet_pt"] >= spec.min_pt) & (abs(a["Jet_eta"]) <= spec.max_abs_eta)
    ht = np.asarray(ak.sum(a["Jet_pt"][sel], axis=1))
    assert table.seeds[1].raw.count == int((ht >= 200).sum()) > 0
    assert table.seeds[0].raw.count == int(np.asarray(ak.any(a["Jet_pt"] >= 60, axis=1)).sum()) > 0


def test_skipped_chunks_reach_the_note(toy_sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing file is skipped at open; the note lists it from the result's ``skipped`` field."""
    from trigger.cli import main

    menu = menu_yaml(tmp_path / "m.yaml", "  SingleMu5: {legs: [{collection: muons, min_pt: 5}]}\n")
    missing = tmp_path / "gone.root"
    missing.write_bytes(b"not a root file")
    code = main(
        ["rates", str(menu), "-i", str(toy_sample), str(missing), "--skip-bad-files", "-o", str(tmp_path / "o")]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert f"note: skipped {missing}" in err
    report = json.loads((tmp_path / "o" / "rates.json").read_text())
    assert [s["path"] for s in report["skipped"]] == [str(missing)]
