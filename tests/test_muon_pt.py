"""The muon pT regressor end to end on a tiny generated gun sample (pile-up 0, seconds): the integer inputs
against a plain-Python digitization, training, QAT bit-exactness, the menu algorithm, evaluation, the 90 %
point, export + C simulation, and the errors a user can make."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import uproot

from tests.rates_helpers import menu_yaml
from trigger.cli import main

N_GUN = 3_000


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from algorithms.muon_pt.data import gun_muons
    from algorithms.muon_pt.train import TrainingOptions, train
    from trigger.samples.production import Request, generate

    base = tmp_path_factory.mktemp("mupt")
    sample = base / "gun.root"
    generate(Request("muon-gun", N_GUN, seed=12, mu=0.0, chunk=1_000, cache_dir=base), sample, progress=False)
    train(gun_muons([str(sample)]), base / "models", TrainingOptions(epochs=2, batch_size=128), {"test": True})
    return sample, base / "models"


def _reference_inputs(st: list[list[float]]) -> list[float]:
    """The 25 inputs of one muon, digitized one value at a time (``st[k] = [phi, theta, bend, qual, present]``)."""
    phi_lsb, theta_lsb, bend_lsb = 2 * math.pi / 65536, math.pi / 4096, 2 * math.pi / 8192

    def clamp(v: int, lo: int, hi: int) -> int:
        return max(lo, min(hi, v))

    present = [s[4] > 0 for s in st]
    phi = [round(s[0] / phi_lsb) % 65536 for s in st]
    theta = [clamp(round(s[1] / theta_lsb), 0, 4096) for s in st]
    first = present.index(True)
    mirrored = theta[first] > 2048
    folded = [(4096 - t if mirrored else t) if p else 0 for t, p in zip(theta, present, strict=True)]
    pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    dphi, dtheta = [], []
    for i, j in pairs:
        ok = present[i] and present[j]
        d = (phi[j] - phi[i] + 32768) % 65536 - 32768
        dphi.append(clamp(d, -8192, 8191) if ok else 0)
        dtheta.append(clamp(folded[j] - folded[i], -1024, 1023) if ok else 0)
    bend = [clamp(round(s[2] / bend_lsb), -2048, 2047) if p else 0 for s, p in zip(st, present, strict=True)]
    qual = [clamp(int(s[3]), 0, 15) if p else 0 for s, p in zip(st, present, strict=True)]
    return [*dphi, *dtheta, *bend, *qual, *[int(p) for p in present], clamp(folded[first], 0, 4095)]


def test_digitization_of_hand_made_stations() -> None:
    """Wrap across phi = +-pi, saturation, a missing station, the mirrored side: against the plain-Python version."""
    from algorithms.muon_pt.inputs import digitize

    muons = [
        [[3.14, 2.9, 0.01, 8, 1], [-3.14, 2.95, -0.02, 7, 1], [0.0, 0.0, 0.0, 0, 0], [-3.10, 3.0, 2.0, 5, 1]],
        [[0.0, 0.0, 0.0, 0, 0], [0.5, 0.3, 0.001, 6, 1], [1.4, 0.31, -1.9, 8, 1], [0.51, 0.29, 0.0, 4, 1]],
    ]
    flat = np.array([[v for st in m for v in st] for m in muons])
    got = digitize(flat)
    for row, m in zip(got, muons, strict=True):
        assert row.tolist() == _reference_inputs(m)
    across = ((-3.14 + 2 * math.pi) - 3.14) / (2 * math.pi / 65536)  # 33.2 LSB across the wrap
    assert got[0, 0] in (math.floor(across), math.ceil(across))  # each phi is digitized, then subtracted
    assert got[1, 3] == 8191  # 2-3 difference of 0.9 rad saturates at 14 bits
    assert got[1, 0] == 0 and got[1, 20] == 0  # station 1 missing: no difference, flag down


def test_training_writes_the_shipped_layout(trained: tuple[Path, Path]) -> None:
    _, models = trained
    names = {p.name for p in models.iterdir()}
    assert {"muon_pt_ptq.json", "muon_pt_ptq.npz", "muon_pt_qat.json", "muon_pt_qat.npz"} <= names
    assert {"float.keras", "qat.keras", "scaling.json", "training.json"} <= names
    info = json.loads((models / "training.json").read_text())
    assert info["muons"] > 1_000 and info["options"]["huber_delta"] == 1.0


def test_shipped_description_is_the_qat_forward_bit_for_bit(trained: tuple[Path, Path]) -> None:
    from algorithms.muon_pt.data import gun_muons
    from algorithms.muon_pt.inputs import FEATURES
    from algorithms.muon_pt.model import load_description
    from trigger.features.scaling import scaled_inputs, scaling_from_json
    from trigger.nn import run_fixed
    from trigger.train import exact_forward

    sample, models = trained
    muons = gun_muons([str(sample)])
    x = muons.x[muons.found]
    scale = scaling_from_json((models / "scaling.json").read_text(), "scaling.json", FEATURES)
    fixed = run_fixed(load_description(models, "muon_pt_qat"), x).to_float()
    np.testing.assert_array_equal(fixed, exact_forward(models / "qat.keras", scaled_inputs(scale, x)))


def test_algorithm_is_the_per_event_maximum_over_single_quality_muons(trained: tuple[Path, Path]) -> None:
    from algorithms.muon_pt import make
    from algorithms.muon_pt.model import OUTPUT_SCALE
    from trigger.features import read_events
    from trigger.io import builtin_schema
    from trigger.io.files import WorkItem
    from trigger.menu import Mode
    from trigger.nn import run_fixed

    sample, models = trained
    algo = make(directory=str(models), max_abs_eta=1.2)
    chunk = read_events(WorkItem(0, str(sample), "Events", 0, N_GUN), builtin_schema("l1emu"), algo.needs())
    out = algo.evaluate(chunk, Mode.BOTH)
    names = [f"L1Mu_st{k}_{f}" for k in range(1, 5) for f in ("phi", "theta", "bend", "qual", "present")]
    with uproot.open(sample) as f:
        a = f["Events"].arrays(["L1Mu_eta", "L1Mu_qual", *names], library="np")
    checked = 0
    for i in range(0, N_GUN, 5):
        rows = [
            _reference_inputs([[float(a[names[5 * k + f]][i][j]) for f in range(5)] for k in range(4)])
            for j in range(len(a["L1Mu_eta"][i]))
            if abs(a["L1Mu_eta"][i][j]) <= 1.2 and a["L1Mu_qual"][i][j] >= 12
        ]
        if not rows:
            assert out.fixed["pt"][i] == -np.inf and out.float["pt"][i] == -np.inf
            continue
        y = run_fixed(algo.model, np.array(rows, dtype=float)).to_float()[:, 0]
        assert out.fixed["pt"][i] == max(OUTPUT_SCALE / max(abs(v), 2.0**-10) for v in y)
        checked += 1
    assert checked > 50


def test_ninety_percent_point_of_a_hand_made_turn_on() -> None:
    """In the window 10 muons: pT 0 (not found) and 10..90; plateau 100 %: 9 of 10 must pass, T = 10 GeV."""
    from algorithms.muon_pt.evaluate import threshold_at_90

    true = np.r_[np.full(10, 22.0), np.full(30, 100.0)]
    pt = np.r_[0.0, np.arange(10.0, 100.0, 10.0), np.full(30, 200.0)]
    got = threshold_at_90(true, pt, np.full(40, 12.0))
    assert got["threshold"] == 10.0 and got["plateau"] == 1.0 and got["efficiency_at_nominal"] == 0.9


def test_evaluate_rates_and_export(
    trained: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample, models = trained
    args = ["evaluate", "muon-pt", "-i", str(sample), "--models", str(models), "-o", str(tmp_path / "ev")]
    assert main(args) == 0
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert set(metrics["thresholds"]) == {"classic", "nn_float", "nn_fixed", "nn_qat_float", "nn_ptq"}
    per_muon = np.load(tmp_path / "ev" / "muons.npz")
    assert len(per_muon["true_pt"]) == metrics["gun_muons"] and (tmp_path / "ev" / "turnon.png").is_file()
    menu = menu_yaml(
        tmp_path / "m.yaml",
        f"  L1_SingleMuNN22: {{algorithm: {{name: muon_pt, output: pt, min: 20.0, mode: both, "
        f"options: {{directory: '{models}'}}}}}}\n",
    )
    assert main(["rates", str(menu), "-i", str(sample), "-o", str(tmp_path / "r")]) == 0
    row = json.loads((tmp_path / "r" / "rates.json").read_text())["seeds"][0]
    assert row["raw"]["count"] > 0 and "float_fixed_differ" in row
    argv = ["hls", "export", "--menu", str(menu), "--seed", "L1_SingleMuNN22", "-i", str(sample)]
    assert main([*argv, "-o", str(tmp_path / "p"), "--csim", "1000"]) == 0
    assert "1000 samples, 1000 outputs compared bit for bit, 0 mismatches" in capsys.readouterr().out


def test_user_errors_exit_2(trained: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from algorithms.muon_pt.inputs import STATION_FIELDS
    from tests.rates_helpers import write_events

    sample, _ = trained
    fields = ("pt", "eta", "phi", "qual", "bx", "genPt", *STATION_FIELDS)
    columns = {"weight": [1.0, 1.0], **{f"GenMu_{f}": [[], []] for f in ("pt", "eta", "phi", "charge")}}
    no_gun = write_events(tmp_path / "nogun.root", {**columns, **{f"L1Mu_{f}": [[], []] for f in fields}})
    assert main(["evaluate", "muon-pt", "-i", str(no_gun), "-o", str(tmp_path / "x")]) == 2
    assert "muon-gun" in capsys.readouterr().err and not (tmp_path / "x").exists()
    assert main(["evaluate", "muon-pt", "-i", str(sample), "--models", str(tmp_path), "-o", str(tmp_path / "y")]) == 2
    assert "l1emu train muon-pt" in capsys.readouterr().err and not (tmp_path / "y").exists()
    menu = menu_yaml(tmp_path / "m.yaml", "  S: {algorithm: {name: muon_pt, min: 1, options: {variant: big}}}\n")
    assert main(["rates", str(menu), "-i", str(sample), "-o", str(tmp_path / "z")]) == 2
    assert "variant must be one of qat, ptq" in capsys.readouterr().err


def test_shipped_regressor_and_menu_load(trained: tuple[Path, Path]) -> None:
    """The shipped QAT regressor (configs/algorithms/muon_pt) is the menu's, and assigns these gun muons a pT
    that follows the true one (trained at pile-up 60 on 500 000 muons; here pile-up 0, same muon system)."""
    from algorithms.muon_pt import MuonPt
    from algorithms.muon_pt.data import gun_muons
    from algorithms.muon_pt.model import pt_from_output
    from tests.rates_helpers import REPO
    from trigger.menu import load_menu, make_algorithm
    from trigger.nn import run_fixed

    menu = load_menu(REPO / "configs" / "menus" / "l1_menu_muon_nn.yaml")
    assert [s.name for s in menu.seeds] == ["L1_SingleMu22", "L1_SingleMuNN22"]
    algo = make_algorithm("muon_pt", {"min_quality": 12, "max_abs_eta": 2.4})
    assert isinstance(algo, MuonPt)
    muons = gun_muons([str(trained[0])])
    f = muons.subset(muons.found)
    pt = pt_from_output(run_fixed(algo.firmware(), f.x).to_float()[:, 0])
    mid = (f.gen_pt > 5) & (f.gen_pt < 50)
    assert abs(np.median(pt[mid] / f.gen_pt[mid]) - 1) < 0.1
