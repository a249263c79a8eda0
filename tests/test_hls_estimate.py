"""Estimates without Vivado: the tutorial's MNIST DSP count, pruning, LUT multipliers, latency."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hls.estimate import LayerEstimate, estimate, schedule
from hls.layer_estimates import CALIBRATION, USABLE_NS, Step
from trigger.nn import DenseSpec, NetworkSpec, build_model
from trigger.nn.build import ActivationSpec

MNIST_CONFIG = {
    "IOType": "io_parallel",
    "Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 128, "Strategy": "Resource"},
    "LayerName": {"fc1": {"ReuseFactor": 112}},
}


def _mnist(strategy: str = "Resource", zero_fraction: float = 0.0) -> NetworkSpec:
    rng = np.random.default_rng(3)
    layers: list[DenseSpec | ActivationSpec] = []
    sizes = [784, 128, 128, 128, 10]
    for k, (a, b) in enumerate(itertools.pairwise(sizes)):
        w = rng.choice([-1.0, 1.0], (a, b)) * rng.uniform(0.01, 0.5, (a, b))  # none quantizes to zero
        w[rng.random((a, b)) < zero_fraction] = 0.0
        layers.append(DenseSpec(f"fc{k + 1}", w, rng.normal(0, 0.1, b)))
        if k < 3:
            layers.append(ActivationSpec(f"relu{k + 1}", "relu"))
    return NetworkSpec("mnist", "x", 784, tuple(layers))


def test_tutorial_mnist_1162_dsps() -> None:
    """(784*128)/112 + (2*128*128 + 128*10)/128 = 896 + 256 + 10 = 1162 (tutorial, Resource, ap_fixed<16,6>)."""
    est = estimate(build_model(_mnist(), MNIST_CONFIG))
    assert [la.dsp for la in est.layers if la.kind == "dense"] == [896, 128, 128, 10]
    assert est.dsp == 1162
    assert est.ii == 128
    # weights ROM: 896 x 16 bits per word = 399 BRAM18 (512 x 36), 128 x 16 -> 57 (twice), 10 x 16 -> 5
    assert est.bram18 == 399 + 2 * 57 + 5
    # the report's latency is 518-522 cycles (checked in the calibration test below)
    assert "1162" in est.summary()


def test_pruned_weights_save_multipliers_with_latency_strategy() -> None:
    config = {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1}}
    spec = _mnist(zero_fraction=0.5)
    model = build_model(spec, config)
    est = estimate(model)
    for layer, la in zip(model.layers[::2], est.layers[::2], strict=True):
        assert la.dsp == layer.n_in * layer.n_out - layer.n_zero_weights
        assert layer.n_zero_weights > 0
    # Resource keeps weights in a ROM: every product slot is a multiplier, zeros included
    res = estimate(
        build_model(spec, {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 4, "Strategy": "Resource"}})
    )
    assert res.layers[0].dsp == 784 * 128 // 4


def test_narrow_products_go_to_luts() -> None:
    rng = np.random.default_rng(0)
    spec = NetworkSpec("tiny", "x", 8, (DenseSpec("fc", rng.uniform(0.25, 0.8, (8, 4)), np.zeros(4)),))
    narrow = estimate(
        build_model(
            spec,
            {"Model": {"Precision": {"weight": "ap_fixed<4,1>", "bias": "ap_fixed<8,1>", "result": "ap_fixed<8,3>"}}},
        )
    )
    assert narrow.dsp == 0 and narrow.lut_multipliers == 32
    wide = estimate(build_model(spec, {"Model": {"Precision": "ap_fixed<18,3>"}}))
    assert wide.dsp == 32 and wide.lut_multipliers == 0
    very_wide = estimate(build_model(spec, {"Model": {"Precision": "ap_fixed<30,3>"}}))
    assert very_wide.dsp == 32 * 2 * 2  # 30x30 needs ceil(30/27) * ceil(30/18) DSP48E2


def test_latency_grows_with_reuse_factor() -> None:
    spec = _mnist()
    base = {"Model": {"Precision": "ap_fixed<16,6>", "Strategy": "Resource"}}
    l1 = estimate(build_model(spec, {**base, "Model": {**base["Model"], "ReuseFactor": 64}}))
    l2 = estimate(build_model(spec, {**base, "Model": {**base["Model"], "ReuseFactor": 128}}))
    # L = L_mult + (R - 1) * II_mult + L_activ: 64 more cycles per dense layer
    assert l2.latency - l1.latency == 4 * (128 - 64)


def test_dsp_or_lut_follows_hls4ml_own_dsp_model() -> None:
    """hls4ml 1.3's VivadoDSPEstimator (optimization/dsp_aware_pruning/objectives/vivado_objectives.py, not
    importable here: it needs QKeras): ``[0]`` for weights under 9 bits, else ``[n_in * n_out // RF]``."""
    rng = np.random.default_rng(1)
    spec = NetworkSpec("one", "x", 12, (DenseSpec("fc", rng.uniform(0.1, 0.9, (12, 8)), np.zeros(8)),))
    for width, rf, strategy in itertools.product((6, 8, 9, 16), (1, 2, 4), ("Latency", "Resource")):
        precision = {"weight": f"ap_fixed<{width},2>", "bias": "ap_fixed<16,6>", "result": "ap_fixed<16,6>"}
        config = {"Model": {"Precision": precision, "ReuseFactor": rf, "Strategy": strategy}}
        hls4ml_dsp = 0 if width < 9 else 12 * 8 // rf
        assert estimate(build_model(spec, config)).dsp == hls4ml_dsp, (width, rf, strategy)


def test_dense_latency_schedules_product_adder_levels_and_the_cast() -> None:
    """4 inputs + bias: a 2.0 ns DSP product + ceil(log2 5) = 3 adder levels of 0.5 ns = 3.5 ns, inside one
    5 ns clock less 27 % uncertainty (3.65 ns): no register.  A rounding or saturating cast is a 4th level:
    4.0 ns, one register.  A LUT product (1.5 ns) leaves room; reuse adds R - 1 cycles."""
    rng = np.random.default_rng(2)
    spec = NetworkSpec("one", "x", 4, (DenseSpec("fc", rng.uniform(0.1, 0.9, (4, 3)), np.zeros(3)),))

    def cycles(weight: str, result: str, rf: int = 1) -> int:
        precision = {"weight": weight, "bias": "ap_fixed<16,6>", "result": result}
        return estimate(build_model(spec, {"Model": {"Precision": precision, "ReuseFactor": rf}})).latency

    assert pytest.approx(3.65) == USABLE_NS
    assert cycles("ap_fixed<16,6>", "ap_fixed<16,6>") == 0
    assert cycles("ap_fixed<16,6>", "ap_fixed<16,6,AP_RND>") == 1
    assert cycles("ap_fixed<16,6>", "ap_fixed<16,6,AP_TRN,AP_SAT>") == 1
    assert cycles("ap_fixed<6,2>", "ap_fixed<16,6,AP_RND>") == 0  # 1.5 + 4 x 0.5 = 3.5 ns
    assert cycles("ap_fixed<16,6>", "ap_fixed<16,6>", rf=3) == 2


def test_schedule_chains_logic_across_layers_and_restarts_after_a_table() -> None:
    """Hand-worked: 2.0 + 1.5 = 3.5 ns fits; + 0.5 needs a register; a table read is 3 registered cycles."""
    logic = [
        LayerEstimate("a", "x", steps=(Step(ns=2.0), Step(ns=1.5))),
        LayerEstimate("b", "x", steps=(Step(ns=0.5),)),
    ]
    assert schedule(logic) == (0, 1)
    table = LayerEstimate("t", "x", steps=(Step(cycles=3),))
    assert schedule([logic[0], table, logic[0]]) == (0, 3, 0)
    assert schedule([LayerEstimate("c", "x", steps=tuple(Step(ns=0.5) for _ in range(15)))]) == (2,)  # 7 + 7 + 1


def _hls4ml_activation_test(activation: str) -> NetworkSpec:
    """hls4ml's test_keras_api.py test_activations: Dense(64, input_shape=(1,)) then the activation."""
    rng = np.random.default_rng(4)
    w = rng.uniform(-0.3, 0.3, (1, 64))
    return NetworkSpec("act", "x", 1, (DenseSpec("Dense", w, np.zeros(64)), ActivationSpec(activation, activation)))


def test_latency_reproduces_the_synthesis_reports_it_is_calibrated_on() -> None:
    """hls4ml's own Vitis 2024.1 C-synthesis baselines (io_parallel, ap_fixed<16,6>, RF 1, 5 ns, xcvu13p) and the
    tutorial's MNIST report: Dense + ReLU 0 cycles, Dense + sigmoid 3, MNIST Resource 518-522."""
    (_, _, relu), (_, _, sigmoid_cycles), (_, _, mnist_min) = CALIBRATION
    config = {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1}}
    assert estimate(build_model(_hls4ml_activation_test("relu"), config)).latency == relu == 0
    sigmoid = {**config, "LayerType": {"Activation": {"TableSize": 1024}}}
    assert estimate(build_model(_hls4ml_activation_test("sigmoid"), sigmoid)).latency == sigmoid_cycles == 3
    mnist = estimate(build_model(_mnist(), MNIST_CONFIG)).latency
    assert mnist_min * 0.97 <= mnist <= 522 * 1.03, mnist


def test_shipped_algorithms_meet_their_latency_targets_in_the_estimate() -> None:
    """Issue targets at RF 1: jet tagger <= 100 ns, anomaly VAE and muon pT <= 50 ns (2 clocks at 40 MHz);
    reuse costs latency and saves multipliers (at_reuse_factors sets every dense layer)."""
    from pathlib import Path

    from hls.estimate import at_reuse_factors
    from trigger.nn.shipped import load_description

    configs = Path(__file__).resolve().parents[1] / "configs" / "algorithms"
    for directory, stem, target_ns in (
        ("jet_tagger", "tagger_qat", 100),
        ("anomaly", "vae", 50),
        ("muon_pt", "muon_pt_qat", 50),
    ):
        est = at_reuse_factors(load_description(configs / directory, stem, "reinstall"), (1, 2, 4))
        assert est["RF1"]["latency_ns"] <= target_ns, (stem, est)
        assert est["RF1"]["latency_cycles"] < est["RF2"]["latency_cycles"] < est["RF4"]["latency_cycles"], stem
        assert est["RF1"]["lut_multipliers"] > est["RF2"]["lut_multipliers"] > est["RF4"]["lut_multipliers"], stem
        assert [est[rf]["ii"] for rf in ("RF1", "RF2", "RF4")] == [1, 2, 4]
