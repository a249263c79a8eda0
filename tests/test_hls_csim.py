"""C simulation matrix (issue 3, item 7): every output bit of the g++-compiled project equals the emulator.

Three architectures x (Latency RF 1, Resource RF 1 and 4) x io_parallel/io_stream, plus narrow
wrapping and saturating accumulators; 10 000 inputs each, a tenth of them outside the input type's
range.  The projects are compiled up front, two at a time (compiled testbenches are cached by a
hash of their sources), then each case runs and compares.
"""

from __future__ import annotations

import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hls.csim import build_testbench, random_inputs, run_csim
from hls.writer import write_project
from tests.nn_models import make_model, random_model
from trigger.nn import ModelDescription, run_fixed

N_INPUTS = 10_000


def _config(strategy: str, rf: int, io: str, arch: str) -> dict[str, Any]:
    model: dict[str, Any] = {"Strategy": strategy, "ReuseFactor": rf}
    if strategy == "Resource":
        model["Precision"] = "ap_fixed<16,6>"  # hls4ml's default precision; accum stays exact (auto)
    config: dict[str, Any] = {"Model": model, "IOType": io}
    if arch == "jet_tagger" and io == "io_stream":
        config["LayerType"] = {"Softmax": {"Implementation": "latency"}}
    return config


CASES: dict[str, tuple[str, dict[str, Any]]] = {
    f"{arch}-{strategy}-rf{rf}-{io}": (arch, _config(strategy, rf, io, arch))
    for arch in ("jet_tagger", "muon_pt", "autoencoder")
    for strategy, rf in (("Latency", 1), ("Resource", 1), ("Resource", 4))
    for io in ("io_parallel", "io_stream")
}
# (Latency at RF > 1 is the same C++ as at RF 1 but for the II pragma, which g++ ignores: not compiled twice)
# hls4ml accumulation (every product cast to accum_t) into narrow accumulators that overflow:
# wrapping, with hls4ml's Resource reuse factors (36x30 RF 4, 30x25 and 25x20 RF 5, 20x1 RF 4) ...
CASES["muon_pt-wrap-accum"] = (
    "muon_pt",
    {
        "Model": {
            "Strategy": "Resource",
            "ReuseFactor": 4,
            "Accumulation": "hls4ml",
            "Precision": {"accum": "ap_fixed<10,3>"},
        },
        # and the linear output layer rounds and saturates into 8 bits
        "LayerName": {
            "fc2": {"ReuseFactor": 5},
            "fc3": {"ReuseFactor": 5},
            "fc4_linear": {"Precision": {"result": "ap_fixed<8,3,AP_RND,AP_SAT>"}},
        },
    },
)
# ... and saturating, where the order of the additions matters (Resource with R < n_in adds in hls4ml's
# order 0, R, 2R, ..., 1, R + 1, ...; Latency in input order)
CASES["muon_pt-sat-accum"] = (
    "muon_pt",
    {
        "Model": {
            "Strategy": "Resource",
            "ReuseFactor": 4,
            "Accumulation": "hls4ml",
            "Precision": {"accum": "ap_fixed<12,3,AP_RND,AP_SAT>"},
        },
        "LayerName": {"fc2": {"ReuseFactor": 5}, "fc3": {"ReuseFactor": 5}},
        "IOType": "io_stream",
    },
)
CASES["muon_pt-sat-accum-latency"] = (
    "muon_pt",
    {"Model": {"Accumulation": "hls4ml", "Precision": {"accum": "ap_fixed<11,3,AP_RND_CONV,AP_SAT>"}}},
)
# hls4ml's own tanh and sigmoid tables (left-edge entries, index truncated toward zero), and its
# model-precision accumulators (an hls4ml config plus the one key)
CASES["autoencoder-hls4ml-tables"] = (
    "autoencoder",
    {
        "Model": {"Precision": "ap_fixed<16,6>", "Accumulation": "hls4ml"},
        "LayerType": {"Activation": {"TableSize": 512}},
    },
)
# hls4ml's four softmax implementations (l1t_softmax_hls4ml.h), with its model-precision accumulators
_HLS4ML_SOFTMAX = {
    "stable": {},
    "latency": {"TableSize": 256, "exp_table_t": "ap_fixed<12,6,AP_RND,AP_SAT>"},
    "legacy": {"TableSize": 256},
    "argmax": {},
}
for _impl, _keys in _HLS4ML_SOFTMAX.items():
    CASES[f"jet_tagger-hls4ml-softmax-{_impl}"] = (
        "jet_tagger",
        {
            "Model": {"Precision": "ap_fixed<12,5,AP_RND,AP_SAT>", "Accumulation": "hls4ml"},
            "LayerType": {"Softmax": {"Implementation": _impl, **_keys}},
        },
    )
# ... and their io_stream form (the io_parallel function between l1t::unpack and l1t::pack)
for _impl in ("stable", "legacy", "argmax"):
    _arch, _config = CASES[f"jet_tagger-hls4ml-softmax-{_impl}"]
    CASES[f"jet_tagger-hls4ml-softmax-{_impl}-io_stream"] = (_arch, {**_config, "IOType": "io_stream"})
# exact sums cast once into a narrow saturating accum_t and a narrow wrapping result
CASES["autoencoder-exact-narrow"] = (
    "autoencoder",
    {"LayerType": {"Dense": {"Precision": {"accum": "ap_fixed<12,2,AP_TRN,AP_SAT>", "result": "ap_fixed<8,2>"}}}},
)
# any valid reuse factor works, not only divisors: 7 everywhere (1024 products in chunks of 147, the last
# 142), and a single multiplier for the output layer (RF 160 = 32x5)
CASES["jet_tagger-Resource-rf7"] = (
    "jet_tagger",
    {"Model": {"Strategy": "Resource", "ReuseFactor": 7}, "LayerName": {"fc4": {"ReuseFactor": 160}}},
)
NARROW = {"muon_pt-wrap-accum", "muon_pt-sat-accum-latency", "muon_pt-sat-accum", "autoencoder-exact-narrow"}


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[ModelDescription, Path]]:
    root = tmp_path_factory.mktemp("hls_csim")
    out = {}
    for case, (arch, config) in CASES.items():
        model = make_model(arch, config)
        out[case] = (model, write_project(model, root / case, tb_inputs=random_inputs(model, 20, seed=7)))
    with ThreadPoolExecutor(max_workers=2) as pool:  # two cores, shared: at most two g++ at a time
        list(pool.map(lambda item: build_testbench(item[1], jobs=1), out.values()))
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_csim_bit_exact(projects: dict[str, tuple[ModelDescription, Path]], case: str) -> None:
    model, project = projects[case]
    x = random_inputs(model, N_INPUTS, seed=zlib.crc32(case.encode()))  # reproducible per case
    t = model.input_t
    assert (x < t.min).any() and (x > t.max).any(), "inputs must leave the representable range"
    report = run_csim(project, x)
    assert report.samples == N_INPUTS
    assert report.mismatches == 0, report.summary()
    if case in NARROW:  # the narrow types really overflow on these inputs
        _, traces = run_fixed(model, x, trace=True)
        assert sum(tr.overflows for tr in traces[1:]) > 0


def test_testbench_checks_expected_file(projects: dict[str, tuple[ModelDescription, Path]]) -> None:
    """The project's own testbench data (written at export) passes, and a corrupted expectation fails."""
    model, project = projects["jet_tagger-Latency-rf1-io_parallel"]
    assert run_csim(project).mismatches == 0
    exe, _, _ = build_testbench(project)
    import subprocess

    tb = project / "tb_data"
    ok = subprocess.run(
        [str(exe), str(tb / "tb_input_features.dat"), str(tb / "tb_output_predictions.dat"), str(tb / "r.dat")],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    lines = (tb / "tb_output_predictions.dat").read_text().splitlines()
    first = lines[0].split()
    first[0] = str(int(first[0]) + 1)
    (tb / "bad.dat").write_text("\n".join([" ".join(first), *lines[1:]]) + "\n")
    bad = subprocess.run(
        [str(exe), str(tb / "tb_input_features.dat"), str(tb / "bad.dat"), str(tb / "r.dat")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1 and "1 mismatching outputs" in bad.stdout
    assert np.loadtxt(tb / "r.dat", dtype=np.int64).shape == (20, model.n_outputs)
    # as Vitis HLS runs it: no arguments, from the project directory; results land next to the inputs
    default = subprocess.run([str(exe)], cwd=project, capture_output=True, text=True)
    assert default.returncode == 0 and "20 samples, 0 mismatching outputs" in default.stdout
    assert (tb / "csim_results.dat").read_text() == (tb / "tb_output_predictions.dat").read_text()


def test_python_api_csim_model(tmp_path: Path) -> None:
    """``csim_model`` writes, builds (here: the cached build of the matrix case) and compares in one call."""
    from hls.csim import csim_model

    arch, config = CASES["jet_tagger-Latency-rf1-io_parallel"]
    report = csim_model(make_model(arch, config), n=500, directory=tmp_path / "api", seed=5)
    assert (report.samples, report.outputs, report.mismatches) == (500, 2500, 0)
    assert "0 mismatches" in report.summary()


RANDOM_SEEDS = (2, 5, 11, 23, 42, 59)  # 59: a softmax calibration entirely beyond the table cap


@pytest.fixture(scope="module")
def random_projects(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[ModelDescription, Path]]:
    root = tmp_path_factory.mktemp("hls_random")
    out = {}
    for seed in RANDOM_SEEDS:
        model = random_model(seed)
        out[seed] = (model, write_project(model, root / f"random{seed}"))
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda item: build_testbench(item[1], jobs=1), out.values()))
    return out


@pytest.mark.parametrize("seed", RANDOM_SEEDS)
def test_random_networks_bit_exact(random_projects: dict[int, tuple[ModelDescription, Path]], seed: int) -> None:
    """Random shapes, random precisions (every rounding and overflow mode), strategies, RFs and io types."""
    model, project = random_projects[seed]
    report = run_csim(project, random_inputs(model, 3000, seed))
    assert report.mismatches == 0, report.summary() + "\n" + model.summary()
