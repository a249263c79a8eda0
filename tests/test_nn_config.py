"""hls4ml-vocabulary configs: validation with key paths, precedence, reuse factors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.nn_models import inputs, network
from trigger.errors import ConfigError
from trigger.nn import build_model, load_config, valid_reuse_factors


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"Model": {"Precison": "ap_fixed<16,6>"}}, r"Model\.Precison: unknown key"),
        ({"Model": {"Precision": "ap_fixed<16>"}}, r"Model\.Precision: .*2 to 5 arguments"),
        ({"Model": {"Precision": {"wieght": "ap_fixed<8,2>"}}}, r"Model\.Precision\.wieght: unknown precision key"),
        ({"Model": {"Strategy": "Fastest"}}, r"Model\.Strategy: expected one of Latency, Resource"),
        ({"Model": {"ReuseFactor": 0}}, r"Model\.ReuseFactor: expected a positive integer"),
        ({"IOType": "io_serial"}, r"IOType: expected one of io_parallel, io_stream"),
        ({"LayerType": {"Conv2D": {}}}, r"LayerType\.Conv2D: unknown layer type"),
        ({"LayerType": {"Softmax": {"TableSize": 1000}}}, r"LayerType\.Softmax\.TableSize: expected a power of two"),
        ({"LayerName": {"fc1": {"Implementation": "fast"}}}, r"LayerName\.fc1\.Implementation"),
        ({"HLSConfig": {}}, r"HLSConfig: unknown key"),
    ],
)
def test_invalid_configs_name_the_key_path(config: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(config)


def test_yaml_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "cfg.yaml"
    bad.write_text("Model:\n  Precision: [unclosed\n")
    with pytest.raises(ConfigError, match=r"cfg\.yaml: line 3 column 1: malformed YAML"):
        load_config(bad)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("Model:\n  ReuseFactor: four\n")
    with pytest.raises(ConfigError, match=r"wrong\.yaml: Model\.ReuseFactor"):
        load_config(wrong)


def test_precedence_model_then_type_then_name() -> None:
    cfg = load_config(
        {
            "Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency"},
            "LayerType": {"Dense": {"ReuseFactor": 2, "Precision": {"weight": "ap_fixed<8,2>"}}},
            "LayerName": {"fc2": {"ReuseFactor": 4, "Strategy": "resource"}},
        }
    )
    fc1, fc2, act = (
        cfg.for_layer("fc1", ("Dense",)),
        cfg.for_layer("fc2", ("Dense",)),
        cfg.for_layer("r", ("Activation",)),
    )
    assert (fc1.reuse_factor, fc2.reuse_factor, act.reuse_factor) == (2, 4, 1)
    assert fc2.strategy.value == "Resource" and fc1.strategy.value == "Latency"
    assert fc1.precision["weight"] == "ap_fixed<8,2>" and act.precision["weight"] == "ap_fixed<16,6>"
    assert fc1.precision["accum"] == "auto"  # a model-level type never narrows the accumulator


def test_unknown_layer_name_lists_the_layers() -> None:
    with pytest.raises(ConfigError, match=r"LayerName\.fc9: no such layer; layers are input, fc1, fc1_relu"):
        build_model(network("muon_pt"), {"LayerName": {"fc9": {"ReuseFactor": 2}}}, inputs("muon_pt", 10))


def test_invalid_reuse_factor_lists_the_valid_ones() -> None:
    # RF 31 needs ceil(750/31) = 25 multipliers, as many as RF 30: it only adds latency
    expected = r"fc2 \(30x25\): ReuseFactor 31 does not fit; valid reuse factors are 1, 2, .*, 29, 30, 32, 33, 35"
    with pytest.raises(ConfigError, match=expected):
        build_model(network("muon_pt"), {"LayerName": {"fc2": {"ReuseFactor": 31}}}, inputs("muon_pt", 10))


def test_valid_reuse_factors_give_strictly_fewer_multipliers() -> None:
    valid = valid_reuse_factors(30, 25)
    assert 4 in valid and 750 in valid and 751 not in valid
    multipliers = [-(-750 // rf) for rf in valid]
    assert multipliers == sorted(set(multipliers), reverse=True)
    assert valid_reuse_factors(784, 128)[:3] == [1, 2, 3] and 112 in valid_reuse_factors(784, 128)
