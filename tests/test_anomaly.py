"""The anomaly trigger end to end on tiny synthetic zero-bias files: the 57 inputs against plain uproot,
training (seconds), the score bit for bit against the QAT models' exact forward pass with squares summed in
Python integers, the menu algorithm, evaluation, rates float vs fixed; on generated crossings, the fast input
builder and the export + C simulation of the shipped VAE seeds."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import uproot

from tests.rates_helpers import menu_yaml
from trigger.cli import main
from trigger.io.synthetic import write_sample


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    from algorithms.anomaly.data import read_inputs
    from algorithms.anomaly.train import TrainingOptions, train

    base = tmp_path_factory.mktemp("ad")
    sample = write_sample(base / "zb.root", 3_000, seed=3, weighted=False)
    other = write_sample(base / "other.root", 1_500, seed=4, weighted=False)
    train(read_inputs([str(sample)]).x, base / "models", TrainingOptions(epochs=2, batch_size=256), {"test": True})
    return sample, other, base / "models"


def test_inputs_are_the_leading_objects_in_pt_order(trained: tuple[Path, Path, Path]) -> None:
    """The 57-vector by hand from the branches: MET (pt, 0, phi), 4 e/gamma, 4 muons, 10 jets by pT, zero-padded."""
    from algorithms.anomaly.data import read_inputs
    from algorithms.anomaly.inputs import FEATURES, SLOTS

    sample, _, _ = trained
    events = read_inputs([str(sample)])
    with uproot.open(sample) as f:
        a = f["Events"].arrays(library="np")
    truncated = 0
    for i in range(events.n):
        want = [float(a["L1EtSum_MET"][i]), 0.0, float(a["L1EtSum_METphi"][i])]
        over = False
        for coll, n in SLOTS:
            prefix = {"egamma": "L1EG", "muons": "L1Mu", "jets": "L1Jet"}[coll]
            objs = sorted(
                zip(a[f"{prefix}_pt"][i], a[f"{prefix}_eta"][i], a[f"{prefix}_phi"][i], strict=True),
                key=lambda o: -o[0],
            )
            over |= len(objs) > n
            for k in range(n):
                want += [float(v) for v in objs[k]] if k < len(objs) else [0.0, 0.0, 0.0]
        truncated += over
        if i % 113 == 0:
            assert events.x[i].tolist() == pytest.approx(want, abs=0), FEATURES
    assert events.x.shape == (3_000, 57) and events.truncated == truncated > 0


def test_training_writes_the_shipped_layout(trained: tuple[Path, Path, Path]) -> None:
    _, _, models = trained
    names = {p.name for p in models.iterdir()}
    assert {"scaling.json", "vae.json", "vae.npz", "ae.json", "ae.npz", "vae_encoder.keras", "ae.keras"} <= names
    info = json.loads((models / "training.json").read_text())
    assert info["crossings"] == 3_000 and len(info["vae_history"]["loss"]) == 2


def _floor_score(squares_raw: list[int], frac: int) -> float:
    """ap_ufixed<18,14,AP_TRN,AP_SAT> of an exact sum given in raw units of 2**-frac (Python integers)."""
    return min(sum(squares_raw) >> (frac - 4), 2**18 - 1) / 16


def test_scores_are_the_qat_forward_pass_bit_for_bit(trained: tuple[Path, Path, Path]) -> None:
    """Emulated scores equal the QAT models' exact float64 forward pass, squared and summed in Python integers."""
    from algorithms.anomaly.data import read_inputs
    from algorithms.anomaly.model import ae_score, load_ae, load_description, load_scaling
    from trigger.features.scaling import scaled_inputs
    from trigger.nn import run_fixed
    from trigger.train import exact_forward

    _, other, models = trained
    x = read_inputs([str(other)]).x
    xs = scaled_inputs(load_scaling(models), x)
    vae = load_description(models, "vae")
    assert vae.layers[0].kind == "scale" and vae.layers[-1].kind == "square_sum"
    mu = exact_forward(models / "vae_encoder.keras", xs)  # ap_fixed<16,6>: 10 fraction bits
    mu_raw = np.rint(mu * 2**10).astype(np.int64)
    assert np.array_equal(mu_raw / 2**10, mu)
    want = [_floor_score([int(r) ** 2 for r in row], 20) for row in mu_raw]
    assert run_fixed(vae, x).to_float()[:, 0].tolist() == want
    y = exact_forward(models / "ae.keras", xs)  # 10 fraction bits; the scaled inputs have 8
    d_raw = np.rint((xs - y) * 2**10).astype(np.int64)
    want_ae = [_floor_score([int(r) ** 2 for r in row], 20) for row in d_raw]
    assert ae_score(load_ae(models), x, True).tolist() == want_ae


def test_algorithm_float_and_fixed(trained: tuple[Path, Path, Path]) -> None:
    from algorithms.anomaly import make
    from trigger.features import read_events
    from trigger.io import builtin_schema
    from trigger.io.files import WorkItem
    from trigger.menu import Mode

    sample, _, models = trained
    for model in ("vae", "ae"):
        algo = make(model=model, directory=str(models))
        chunk = read_events(WorkItem(0, str(sample), "Events", 0, 3_000), builtin_schema("l1emu"), algo.needs())
        out = algo.evaluate(chunk, Mode.BOTH)
        fx, fl = out.fixed["score"], out.float["score"]
        assert out.truncated > 0 and np.all(fx >= 0) and np.all(fx % (1 / 16) == 0)
        assert np.corrcoef(fx, fl)[0, 1] > 0.99  # float differs only by input, activation and score rounding
    with pytest.raises(ValueError, match="model must be one of vae, ae"):
        make(model="gan", directory=str(models))


def test_loop_scores_are_the_layer_by_layer_references(trained: tuple[Path, Path, Path]) -> None:
    """The event loop's one scaling for both models, float and fixed (fast-path blocks, reused float buffers),
    gives, bit for bit, what the plain executors give: the traced layer-by-layer fixed path on the VAE's
    description and on the autoencoder's firmware (its square error reads the scaling's output), and run_float
    in float32 on the networks after the scaling."""
    from algorithms.anomaly import make
    from algorithms.anomaly.model import scaled
    from trigger.features import read_events
    from trigger.io import builtin_schema
    from trigger.io.files import WorkItem
    from trigger.menu import Mode
    from trigger.nn import describe, run_fixed, run_float

    sample, _, models = trained
    vae, ae = make(model="vae", directory=str(models)), make(model="ae", directory=str(models))
    chunk = read_events(WorkItem(0, str(sample), "Events", 0, 3_000), builtin_schema("l1emu"), vae.needs())
    got = {name: algo.evaluate(chunk, Mode.BOTH) for name, algo in (("vae", vae), ("ae", ae))}
    x = vae.firmware_inputs(chunk)
    xs32 = scaled(vae.scale, x).astype(np.float32)
    want_fixed = {name: run_fixed(algo.firmware(), x, trace=True)[0].to_float()[:, 0] for name, algo in
                  (("vae", vae), ("ae", ae))}  # fmt: skip
    recon = run_float(ae.model.network, xs32, np.float32)
    want_float = {
        "vae": run_float(vae.network, xs32, np.float32)[:, 0],
        "ae": run_float(describe("score", ae.model.score.input_t, [ae.model.score]), xs32 - recon, np.float32)[:, 0],
    }
    for name, out in got.items():
        assert out.fixed["score"].tolist() == want_fixed[name].tolist(), name
        assert out.float["score"].tolist() == want_float[name].astype(np.float64).tolist(), name
        assert len(np.unique(out.fixed["score"])) > 100, name


def test_rate_threshold_by_hand() -> None:
    """The lowest point of the step grid whose rate is at most the target (the rule of ``l1emu threshold``)."""
    from algorithms.anomaly.evaluate import rate_threshold

    s = np.array([5.0, 1.0, 3.0, 3.0, 2.0, 4.0, 0.0, 0.0, 0.0, 0.0])
    w = np.full(10, 0.1)
    # f_bx 100 kHz: score >= 4 is 20 kHz, >= 3 is 40 kHz (the tie counts twice), >= 5 is 10 kHz
    assert rate_threshold(s, w, 100.0, 30.0, 1.0) == 4.0
    assert rate_threshold(s, w, 100.0, 30.0, 0.5) == 3.5  # the same events as >= 4: the grid, not the scores
    assert rate_threshold(s, w, 100.0, 40.0, 1.0) == 3.0
    assert rate_threshold(s, w, 100.0, 5.0, 1.0) == 6.0  # above every score: rate 0


def test_evaluate_and_rates(trained: tuple[Path, Path, Path], tmp_path: Path) -> None:
    sample, other, models = trained
    menu = menu_yaml(
        tmp_path / "m.yaml",
        f"  L1_HTT100: {{sums: [{{sum: HT, min: 100}}]}}\n"
        f"  L1_AD_Nominal: {{algorithm: {{name: anomaly, output: score, min: 4, mode: both, "
        f"options: {{directory: '{models}'}}}}}}\n"
        f"  L1_AE_Nominal: {{algorithm: {{name: anomaly, output: score, min: 60, mode: both, "
        f"options: {{directory: '{models}', model: ae}}}}}}\n",
    )
    args = ["evaluate", "anomaly", "--signal", str(other), "--background", str(sample), "--models", str(models)]
    assert main([*args, "--menu", str(menu), "--rate-khz", "100", "-o", str(tmp_path / "ev")]) == 0
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    row = metrics["signals"]["other"]
    assert set(metrics["thresholds"]) == {"vae_float", "vae_fixed", "ae_float", "ae_fixed", "ht"}
    for key, rate in metrics["background_rate_khz"].items():
        assert rate <= 100.0, key
    # the same threshold as `l1emu threshold` on the same sample, grid and rate (they once read the grid differently)
    for seed, key in (("L1_AD_Nominal", "vae_fixed"), ("L1_AE_Nominal", "ae_fixed")):
        argv = [str(menu), seed, "--vary", "algorithm", "--rate", "100kHz", "--step", str(metrics["threshold_step"])]
        assert main(["threshold", *argv, "-i", str(sample), "-o", str(tmp_path / "t")]) == 0
        found = json.loads((tmp_path / "t" / f"threshold_{seed}.json").read_text())
        assert (
            found["threshold"] == metrics["thresholds"][key]
            and found["rate_khz"] == metrics["background_rate_khz"][key]
        )
    assert metrics["threshold_step"] == 1 / 16
    nominal = row["menu"]["L1_AD_Nominal"]
    assert 0 <= nominal["unique"] <= nominal["efficiency"] <= row["menu"]["total"] <= 1
    assert (tmp_path / "ev" / "roc.png").stat().st_size > 1000 and (tmp_path / "ev" / "scores.npz").is_file()
    assert main(["rates", str(menu), "-i", str(sample), "-o", str(tmp_path / "r")]) == 0
    rows = {r["name"]: r for r in json.loads((tmp_path / "r" / "rates.json").read_text())["seeds"]}
    assert "float_fixed_differ" in rows["L1_AD_Nominal"] and rows["L1_AD_Nominal"]["raw"]["count"] > 0


def test_weighted_zero_bias_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Training on a weighted zero-bias file is a user error (exit 2, nothing written): only the provenance is read."""
    path = tmp_path / "zb_weighted.root"
    path.write_bytes(b"")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("trigger.samples.writer.read_provenance", lambda p: {"request": {"process": "zerobias"}})
        assert main(["train", "anomaly", "-i", str(path), "-o", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "weighted zero-bias sample" in err and "weighted: false" in err and not (tmp_path / "m").exists()


@pytest.fixture(scope="module")
def generated(cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real generated zero-bias crossings (Pythia minimum bias at pile-up 60), not the toy sample."""
    from trigger.samples.production import Request, generate

    out = tmp_path_factory.mktemp("adgen") / "zb.root"
    generate(Request("zerobias", 240, seed=5, mu=60.0, chunk=60, cache_dir=cache, pool_size=300), out, progress=False)
    return out


def _plain_slots(objects: list[tuple[float, float, float]], n: int) -> list[float]:
    """One event's slot block by hand: Python's stable sort by descending pt, the first n, zero-padded."""
    lead = sorted(objects, key=lambda o: -o[0])[:n]
    values = [v if math.isfinite(v) else 0.0 for o in lead for v in o]
    return values + [0.0] * (3 * n - len(values))


def test_fast_inputs_against_a_plain_loop_on_generated_events(generated: Path) -> None:
    """The event loop's 57-vector (one flattening, the sort skipped when already pt-ordered) equals a plain
    per-event loop over the branches; so does the slot builder on the same objects shuffled within each
    event (the sorting path) and with a cut."""
    import awkward as ak

    from algorithms.anomaly.inputs import SLOTS, features, needs
    from trigger.features import ObjectCut, leading, read_events
    from trigger.io import builtin_schema
    from trigger.io.files import WorkItem

    chunk = read_events(WorkItem(0, str(generated), "Events", 0, 240), builtin_schema("l1emu"), needs())
    x, truncated = features(chunk)
    with uproot.open(generated) as f:
        a = f["Events"].arrays(library="np")
    prefix = {"egamma": "L1EG", "muons": "L1Mu", "jets": "L1Jet"}
    over = 0
    rng = np.random.default_rng(1)
    for i in range(chunk.n):
        want = [float(a["L1EtSum_MET"][i]), 0.0, float(a["L1EtSum_METphi"][i])]
        dropped = False
        for coll, n in SLOTS:
            p = prefix[coll]
            objs = [
                tuple(float(v) for v in o)
                for o in zip(a[f"{p}_pt"][i], a[f"{p}_eta"][i], a[f"{p}_phi"][i], strict=True)
            ]
            want += _plain_slots(objs, n)
            dropped |= len(objs) > n
        over += dropped
        assert x[i].tolist() == want, i
    assert truncated == over > 0
    cut = ObjectCut(5.0, 2.4)
    for coll, n in SLOTS:
        objects = chunk.collections[coll]
        counts = np.asarray(ak.num(objects, axis=1))
        keys = ak.unflatten(rng.random(int(counts.sum())), counts)
        shuffled = objects[ak.argsort(keys, axis=1)]
        got, dropped_cut = leading(shuffled, ("pt", "eta", "phi"), n, cut)
        for i, event in enumerate(ak.to_list(shuffled)):
            objs = [(o["pt"], o["eta"], o["phi"]) for o in event if o["pt"] >= 5.0 and abs(o["eta"]) <= 2.4]
            assert got[i].tolist() == _plain_slots(objs, n) and dropped_cut[i] == (len(objs) > n), (coll, i)


SHIPPED_MENU = Path(__file__).resolve().parents[1] / "configs" / "menus" / "l1_menu_anomaly.yaml"


def test_shipped_vae_seeds_export_and_c_simulate_bit_for_bit(
    generated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The shipped menu's L1_AD_Nominal (the shipped VAE) through the menu-seed export: its C++ (scaling, network,
    squares, sum) compiled against the real ap_types gives the event loop's fixed scores, every bit, on real
    generated crossings; L1_AD_Loose and L1_AD_Tight export the same firmware (the same build)."""
    from algorithms.anomaly import make
    from hls.csim import run_csim
    from trigger.features import read_events
    from trigger.io import builtin_schema
    from trigger.io.files import WorkItem
    from trigger.menu import Mode

    base = ["hls", "export", "--menu", str(SHIPPED_MENU), "-i", str(generated), "--csim", "240"]
    assert main([*base, "--seed", "L1_AD_Nominal", "-o", str(tmp_path / "nominal")]) == 0
    out = capsys.readouterr().out
    assert "algorithm anomaly, 240 firmware input rows" in out
    assert "240 samples, 240 outputs compared bit for bit, 0 mismatches" in out
    report = run_csim(tmp_path / "nominal")  # the testbench's own rows: all 240 crossings, in file order
    algo = make()
    chunk = read_events(WorkItem(0, str(generated), "Events", 0, 240), builtin_schema("l1emu"), algo.needs())
    loop = algo.evaluate(chunk, Mode.FIXED).fixed["score"]
    assert report.cached and report.cpp_values is not None and report.mismatches == 0
    assert report.cpp_values[:, 0].tolist() == loop.tolist()
    assert len(np.unique(loop)) > 100 and np.all(loop % (1 / 16) == 0)  # real scores, on the score grid
    for seed in ("L1_AD_Loose", "L1_AD_Tight"):
        assert main([*base, "--seed", seed, "-o", str(tmp_path / seed)]) == 0
        assert "240 outputs compared bit for bit, 0 mismatches (cached build)" in capsys.readouterr().out


def test_shipped_autoencoder_seed_exports(generated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """L1_AE_Nominal exports too: one description whose score layer reads the scaling's output, checked on every
    chunk to give the event loop's scores (scaling and network run apart there) before anything is written. Its
    C++ layer is C-simulated in test_nn_new_layers.py; the shipped AE's on 10 000 crossings in the README."""
    argv = ["hls", "export", "--menu", str(SHIPPED_MENU), "--seed", "L1_AE_Nominal", "-i", str(generated)]
    assert main([*argv, "-o", str(tmp_path / "ae")]) == 0
    assert "algorithm anomaly, 240 firmware input rows" in capsys.readouterr().out
    top = (tmp_path / "ae" / "firmware" / "anomaly_ae.cpp").read_text()
    assert "l1t::square_error<fc4_t, scale_t, result_t, config_score>(fc4_out, scale_out, anomaly_ae_output);" in top
    predictions = (tmp_path / "ae" / "tb_data" / "tb_output_predictions.dat").read_text().split()
    assert len(predictions) == 240 and len(set(predictions)) > 100
