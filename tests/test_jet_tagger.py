"""The jet tagger end to end on a tiny synthetic wide-jet file: training (seconds), the shipped-format
descriptions, QAT bit-exactness, the menu algorithm against plain numpy, evaluation, export + C simulation."""

from __future__ import annotations

import json
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

from tests.jet_tagger_data import write_jets
from tests.rates_helpers import menu_yaml
from trigger.cli import main


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from algorithms.jet_tagger.data import labelled_jets
    from algorithms.jet_tagger.train import TrainingOptions, train

    base = tmp_path_factory.mktemp("jt")
    sample = write_jets(base / "jets.root", 2_500, seed=1)
    x, y, _ = labelled_jets([str(sample)])
    train(x, y, base / "models", TrainingOptions(epochs=2, batch_size=128), {"test": True})
    return sample, base / "models"


def test_training_writes_the_shipped_layout(trained: tuple[Path, Path]) -> None:
    _, models = trained
    names = {p.name for p in models.iterdir()}
    for stem in ("tagger_ptq", "tagger_qat", "tagger_qat_pruned"):
        assert {f"{stem}.json", f"{stem}.npz"} <= names
    assert {"float.keras", "qat.keras", "qat_pruned.keras", "scaling.json", "training.json"} <= names
    info = json.loads((models / "training.json").read_text())
    assert abs(info["qat_pruned_sparsity"] - 0.75) < 0.01 and info["qat_sparsity"] < 0.05


def test_shipped_description_is_the_qat_forward_bit_for_bit(trained: tuple[Path, Path]) -> None:
    """scaling (fixed) then the QAT network: our emulator equals the QAT model's exact float64 forward pass."""
    from algorithms.jet_tagger.data import labelled_jets
    from algorithms.jet_tagger.inputs import FEATURES
    from algorithms.jet_tagger.model import load_description
    from trigger.features.scaling import scaled_inputs, scaling_from_json
    from trigger.nn import run_fixed
    from trigger.train import exact_forward

    sample, models = trained
    x, _, _ = labelled_jets([str(sample)])
    scale = scaling_from_json((models / "scaling.json").read_text(), "scaling.json", FEATURES)
    desc = load_description(models, "tagger_qat")
    head = desc.__class__(desc.name, desc.input_name, desc.input_t, 16, desc.layers[:-1], desc.io_type)
    logits = run_fixed(head, x).to_float()  # everything but the softmax table
    np.testing.assert_array_equal(logits, exact_forward(models / "qat.keras", scaled_inputs(scale, x), logits=True))


def test_algorithm_is_the_per_event_maximum_over_wide_jets(trained: tuple[Path, Path]) -> None:
    from algorithms.jet_tagger import make
    from algorithms.jet_tagger.inputs import FEATURES
    from trigger.features import read_events
    from trigger.io import builtin_schema
    from trigger.io.files import WorkItem
    from trigger.menu import Mode
    from trigger.nn import run_fixed

    sample, models = trained
    algo = make(directory=str(models), min_pt=900.0)
    chunk = read_events(WorkItem(0, str(sample), "Events", 0, 2_500), builtin_schema("l1emu"), algo.needs())
    out = algo.evaluate(chunk, Mode.BOTH)
    with uproot.open(sample) as f:
        a = f["Events"].arrays([f"L1WideJet_{k}" for k in ("pt", *FEATURES)])
    for i in range(0, 2_500, 97):
        jets = [j for j in range(len(a["L1WideJet_pt"][i])) if a["L1WideJet_pt"][i][j] >= 900.0]
        if not jets:
            assert out.fixed["t"][i] == -np.inf and out.float["t"][i] == -np.inf
            continue
        rows = np.array([[float(a[f"L1WideJet_{k}"][i][j]) for k in FEATURES] for j in jets])
        want = run_fixed(algo.model, rows).to_float().max(axis=0)
        assert [out.fixed[c][i] for c in "qgWZt"] == want.tolist()
    assert int(np.sum(ak.num(a["L1WideJet_pt"]) > 0)) == 2_500


def test_evaluate_and_export(trained: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample, models = trained
    args = ["evaluate", "jet-tagger", "-i", str(sample), "--models", str(models), "-o", str(tmp_path / "ev")]
    assert main(args) == 0
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert set(metrics) == {"float", "ptq", "qat", "qat_pruned"}
    assert metrics["float"]["auc"]["t"] > 0.7  # the synthetic classes are separable
    assert (tmp_path / "ev" / "roc.png").stat().st_size > 1000 and (tmp_path / "ev" / "precision_scan.png").is_file()
    menu = menu_yaml(
        tmp_path / "m.yaml",
        f"  L1_JetTag_Top: {{algorithm: {{name: jet_tagger, output: t, min: 0.5, mode: both, "
        f"options: {{directory: '{models}', min_pt: 850}}}}}}\n",
    )
    argv = [
        "hls",
        "export",
        "--menu",
        str(menu),
        "--seed",
        "L1_JetTag_Top",
        "-i",
        str(sample),
        "-o",
        str(tmp_path / "p"),
    ]
    assert main([*argv, "--csim", "2000"]) == 0
    assert "2000 samples, 10000 outputs compared bit for bit, 0 mismatches" in capsys.readouterr().out
    assert main(["rates", str(menu), "-i", str(sample), "-o", str(tmp_path / "r")]) == 0
    row = json.loads((tmp_path / "r" / "rates.json").read_text())["seeds"][0]
    assert row["raw"]["count"] > 0 and "float_fixed_differ" in row


def test_shipped_tagger_loads_and_float_and_fixed_agree(tmp_path: Path) -> None:
    """The shipped QAT tagger (configs/algorithms/jet_tagger) loads and gives probabilities. (These synthetic jets
    lie outside its training distribution and saturate its logits, so float and fixed are compared on the real
    held-out jets by `l1emu evaluate`, not here.)"""
    from algorithms.jet_tagger.data import labelled_jets
    from trigger.menu import make_algorithm
    from trigger.nn import run_fixed, run_float

    algo = make_algorithm("jet_tagger", {"min_pt": 150.0})
    x, _, _ = labelled_jets([str(write_jets(tmp_path / "j.root", 500, seed=5))])
    fixed = run_fixed(algo.firmware(), x).to_float()
    flt = run_float(algo.firmware(), x)
    assert np.all((fixed >= 0) & (fixed <= 1)) and np.allclose(fixed.sum(axis=1), 1.0, atol=0.05)
    assert np.allclose(flt.sum(axis=1), 1.0) and algo.firmware().n_inputs == 16
