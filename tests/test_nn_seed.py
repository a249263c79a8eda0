"""The generic NN algorithm seed: features from chunks, float and fixed decisions in the rate table."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
import uproot

from tests.rates_helpers import menu_yaml
from trigger.errors import ConfigError
from trigger.io import builtin_schema, open_dataset, read_chunk
from trigger.io.files import WorkItem
from trigger.menu import Mode, load_menu, make_algorithm
from trigger.processor import run
from trigger.rates import RateProcessor

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras

# weights exact in ap_fixed<8,3>; accumulator and result `auto` (exact); input ap_ufixed<16,10,AP_TRN,AP_SAT>
WEIGHTS = {"weight": "ap_fixed<8,3>", "bias": "ap_fixed<8,3>"}
CONFIG = {"Model": {"Precision": WEIGHTS}, "LayerName": {"x": {"Precision": "ap_ufixed<16,10,AP_TRN,AP_SAT>"}}}


@pytest.fixture(scope="module")
def dijet_sum(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-layer network computing pt(jet0) + pt(jet1): the fixed result is checkable by hand."""
    model = keras.Sequential([keras.Input((2,), name="x"), keras.layers.Dense(1, name="sum")])
    model.get_layer("sum").set_weights([np.ones((2, 1)), np.zeros(1)])
    path = tmp_path_factory.mktemp("nnseed") / "dijet.keras"
    model.save(path)
    return path


def test_features_and_outputs_match_a_hand_computation(dijet_sum: Path, toy_sample: Path) -> None:
    options = {
        "model": str(dijet_sum),
        "config": CONFIG,
        "inputs": [{"collection": "jets", "fields": ["pt"], "slots": 2}],
    }
    algo = make_algorithm("nn", options)
    chunk = read_chunk(WorkItem(0, str(toy_sample), "Events", 0, 3_000), builtin_schema("l1emu"), algo.needs())
    out = algo.evaluate(chunk, Mode.BOTH)
    pts = uproot.open(toy_sample)["Events"]["L1Jet_pt"].array(entry_stop=3_000).tolist()
    lead = [sorted(p, reverse=True)[:2] + [0.0] * (2 - min(len(p), 2)) for p in pts]
    np.testing.assert_allclose(out.float["out0"], [a + b for a, b in lead], rtol=1e-6)
    lsb = 2.0**-6  # ap_ufixed<16,10,AP_TRN,AP_SAT>: truncation to 1/64 GeV, saturation at 1024 GeV
    q = [min(math.floor(a / lsb), 2**16 - 1) * lsb + min(math.floor(b / lsb), 2**16 - 1) * lsb for a, b in lead]
    np.testing.assert_array_equal(out.fixed["out0"], q)
    assert out.truncated == sum(len(p) > 2 for p in pts) > 0


def test_rate_table_reports_float_fixed_and_differences(dijet_sum: Path, toy_sample: Path, tmp_path: Path) -> None:
    seeds = (
        "  L1_NN_DiJetSum:\n    algorithm:\n      name: nn\n      output: sum\n      min: 150.015\n      mode: both\n"
        f"      options:\n        model: {dijet_sum}\n        outputs: [sum]\n"
        "        config: {Model: {Precision: {weight: 'ap_fixed<8,3>', bias: 'ap_fixed<8,3>'}},\n"
        "                 LayerName: {x: {Precision: 'ap_ufixed<16,10,AP_TRN,AP_SAT>'}}}\n"
        "        inputs: [{collection: jets, fields: [pt], slots: 2}]\n"
    )
    menu = load_menu(menu_yaml(tmp_path / "menu.yaml", seeds))
    schema = builtin_schema("l1emu")
    proc = RateProcessor(menu, schema)
    table = run(proc, open_dataset([str(toy_sample)], schema, proc.needs().branches(schema))).result
    row = table.seeds[0]
    assert row.float_khz is not None and row.float_khz > 0
    assert row.fixed_khz is not None and row.fixed_khz <= row.float_khz  # truncation only lowers the sum
    assert row.float_fixed_differ is not None and row.float_fixed_differ > 0


def test_bad_options_are_config_errors(dijet_sum: Path) -> None:
    with pytest.raises(ConfigError, match="takes 2"):
        make_algorithm("nn", {"model": str(dijet_sum), "config": CONFIG, "inputs": [{"sum": "HT"}]})
    with pytest.raises(ConfigError, match=r"inputs\[0\]: expected one of the keys"):
        make_algorithm("nn", {"model": str(dijet_sum), "inputs": [{"jets": 2}]})
    with pytest.raises(ConfigError, match="does not exist"):
        make_algorithm("nn", {"model": "missing.keras", "inputs": [{"sum": "HT"}]})
