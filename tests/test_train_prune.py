"""Magnitude pruning: tfmot's schedules, sparsity reached and kept, zeros through conversion and estimate."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras

from hls.estimate import estimate
from trigger.errors import ConfigError
from trigger.nn import DenseLayer, run_fixed
from trigger.train import (
    ConstantSparsity,
    PolynomialDecay,
    Pruning,
    QDense,
    exact_forward,
    load_qat_model,
    qat_mlp,
    sparsity,
    to_description,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:keras")


def test_polynomial_decay_is_tfmots() -> None:
    schedule = PolynomialDecay(initial_sparsity=0.0, final_sparsity=0.75, begin_step=0, end_step=100, frequency=10)
    # 0.75 + (0 - 0.75) * (1 - 50/100)**3 = 0.75 - 0.09375, worked by hand
    assert schedule.sparsity(50) == pytest.approx(0.65625)
    assert schedule.sparsity(0) == 0.0 and schedule.sparsity(100) == 0.75 and schedule.sparsity(500) == 0.75
    assert [s for s in range(0, 130) if schedule.should_prune(s)] == list(range(0, 101, 10))
    late = PolynomialDecay(initial_sparsity=0.2, final_sparsity=0.6, begin_step=5, end_step=25, power=1, frequency=4)
    assert [s for s in range(40) if late.should_prune(s)] == [5, 9, 13, 17, 21, 25]
    assert late.sparsity(15) == pytest.approx(0.4)
    forever = ConstantSparsity(target_sparsity=0.5, begin_step=3, frequency=2)
    assert forever.should_prune(10_001) and not forever.should_prune(10_000) and forever.sparsity(7) == 0.5


def test_bad_schedules_are_named() -> None:
    with pytest.raises(ConfigError, match=r"final_sparsity must be in \[0, 1\), got 1.0"):
        PolynomialDecay(final_sparsity=1.0, end_step=10)
    with pytest.raises(ConfigError, match="needs an end_step"):
        PolynomialDecay(final_sparsity=0.5)
    with pytest.raises(ConfigError, match="end_step 3 is before begin_step 5"):
        ConstantSparsity(begin_step=5, end_step=3)


def _fit(model: keras.Model, callbacks: list[keras.callbacks.Callback], steps: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (steps * 32, 16))
    y = np.argmax(x[:, :5] + 0.5 * x[:, 5:10], axis=1)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=callbacks)


def test_pruning_reaches_and_keeps_75_percent_through_conversion(tmp_path: Path) -> None:
    keras.utils.set_random_seed(2)
    weight = "ap_fixed<8,1,AP_RND_CONV,AP_SAT>"
    model = qat_mlp(16, (64, 32, 32), 5, weight=weight, seed=2)
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy")
    dense = [la for la in model.layers if isinstance(la, QDense)]
    baseline = to_description(model)
    schedule = PolynomialDecay(initial_sparsity=0.0, final_sparsity=0.75, begin_step=0, end_step=120, frequency=20)
    pruning = Pruning(schedule)
    _fit(model, [pruning], 160, seed=0)
    assert pruning.step == 160
    assert abs(sparsity(model) - 0.75) <= 0.005
    masks = [np.asarray(la.prune_mask.numpy()) for la in dense]
    for layer, mask in zip(dense, masks, strict=True):
        assert abs((mask == 0).mean() - 0.75) <= 0.005
        assert np.all(layer.kernel.numpy()[mask == 0] == 0.0)  # exactly zero after the optimizer steps

    # more training, past end_step: same masks, zeros stay zeros, surviving weights still learn
    before = [la.kernel.numpy().copy() for la in dense]
    _fit(model, [pruning], 60, seed=1)
    for layer, mask, old in zip(dense, masks, before, strict=True):
        np.testing.assert_array_equal(layer.prune_mask.numpy(), mask)
        kernel = layer.kernel.numpy()
        assert np.all(kernel[mask == 0] == 0.0) and np.any(kernel[mask == 1] != old[mask == 1])
    # and without the callback the forward pass still multiplies by the mask
    _fit(model, [], 20, seed=3)
    path = tmp_path / "pruned.keras"
    model.save(path)

    description = to_description(path)
    assert abs(sparsity(load_qat_model(path)) - 0.75) <= 0.005
    for layer, mask in zip(dense, masks, strict=True):
        converted = description.layer(layer.name)
        assert isinstance(converted, DenseLayer)
        surviving = np.abs(layer.masked_kernel()[mask == 1])
        assert surviving.min() > converted.weight_t.lsb / 2  # so a zero weight is exactly a pruned one
        assert converted.n_zero_weights == int((mask == 0).sum())
    pruned_mults = {la.name: la.multipliers for la in estimate(description).layers if la.kind == "dense"}
    full_mults = {la.name: la.multipliers for la in estimate(baseline).layers if la.kind == "dense"}
    for layer, mask in zip(dense, masks, strict=True):
        assert pruned_mults[layer.name] == int(mask.sum())  # RF 1, Latency: one multiplier per kept weight
        assert pruned_mults[layer.name] <= 0.26 * full_mults[layer.name]
    x = np.random.default_rng(4).normal(0, 1, (3000, 16))
    fixed = run_fixed(description, x, trace=True)[1][-2].output.to_float()
    np.testing.assert_array_equal(fixed, exact_forward(model, x, logits=True))


def test_pruning_named_layers_only() -> None:
    model = qat_mlp(8, (16,), 2, output="linear", seed=0)
    model.compile("adam", "mse")
    x = np.random.default_rng(0).normal(0, 1, (64, 8))
    model.fit(
        x, x[:, :2], batch_size=32, verbose=0, callbacks=[Pruning(ConstantSparsity(target_sparsity=0.5), ["fc1"])]
    )
    assert (model.get_layer("fc1").prune_mask.numpy() == 0).mean() == 0.5
    assert np.all(model.get_layer("fc2").prune_mask.numpy() == 1)
    with pytest.raises(ConfigError, match="no QDense layer named 'fc9'"):
        model.fit(x, x[:, :2], verbose=0, callbacks=[Pruning(ConstantSparsity(), ["fc9"])])
