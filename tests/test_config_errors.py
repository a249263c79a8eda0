"""The YAML validators share trigger.config.Validator: the same error shape (file: key path: what was wrong,
nearest valid key) and the same hint for an unquoted ap_fixed<W,I> that flow YAML cut at its comma."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from trigger.cli import main
from trigger.errors import ConfigError
from trigger.io import load_schema
from trigger.menu import load_menu
from trigger.nn import load_config


def _samples(path: Path) -> Any:
    from trigger.samples.defaults import load_sample_list

    return load_sample_list(path, path.parent, workers=1)


MENU = """menu_version: 1
name: m
seeds:
  L1_HTT:
    algorithm: {name: fixed_ht, min: 320, options: {pt_type: %s}}
"""
SCHEMA = """schema_version: 1
name: s
tree: Events
collections:
  jets: {pt: Jet_pt, eta: Jet_eta, phi: Jet_phi}
sums:
  HT: {from: jets, min_pt: %s}
"""
HLS = "Model: {Precision: %s, ReuseFactor: 1}\n"
SAMPLES = "samples:\n  gun: {process: muon-gun, events: 40, mu: %s}\n"

# validator, file text with a %s for the value, key path of that value, text of a misspelt key, its path + nearest
CASES: dict[str, tuple[Callable[[Path], Any], str, str, str, str]] = {
    "menu": (load_menu, MENU, "seeds.L1_HTT.algorithm.options.pt_type", MENU.replace("min: 320", "mni: 320") % "x",
             r"seeds\.L1_HTT\.algorithm\.mni: unknown key; did you mean 'min'"),
    "schema": (load_schema, SCHEMA, "sums.HT.min_pt", SCHEMA.replace("min_pt", "min_ptt") % "30",
               r"sums\.HT\.min_ptt: unknown key; did you mean 'min_pt'"),
    "hls": (load_config, HLS, "Model.Precision", HLS.replace("ReuseFactor", "ReuseFactr") % "auto",
            r"Model\.ReuseFactr: unknown key; did you mean 'ReuseFactor'"),
    "samples": (_samples, SAMPLES, "samples.gun.mu", SAMPLES.replace("events", "event") % "0",
                r"samples\.gun\.event: unknown key; did you mean 'events'"),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(CASES))
@pytest.mark.parametrize("spelling", ["ap_fixed<16,6>", "ap_ufixed<11,10,AP_TRN,AP_SAT>"])
def test_unquoted_type_in_flow_yaml_names_file_key_and_says_quote_it(tmp_path: Path, kind: str, spelling: str) -> None:
    load, text, key_path, _, _ = CASES[kind]
    bad = tmp_path / f"{kind}.yaml"
    bad.write_text(text % spelling)
    head = spelling.split(",")[0]
    key = key_path.rsplit(".", 1)[-1]
    expected = (
        f"{bad}: {key_path}: '{head}' is a type cut at its comma: inside {{...}} or [...] YAML splits an "
        f"unquoted {spelling} at the comma; quote it: {key}: '{spelling}'"
    )
    with pytest.raises(ConfigError) as info:
        load(bad)
    assert str(info.value) == expected


@pytest.mark.parametrize("kind", list(CASES))
def test_misspelt_key_names_file_key_path_and_the_nearest_key(tmp_path: Path, kind: str) -> None:
    load, _, _, text, message = CASES[kind]
    bad = tmp_path / f"{kind}.yaml"
    bad.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(str(bad)) + ": " + message):
        load(bad)


def test_quoted_and_block_style_types_are_fine(tmp_path: Path) -> None:
    for text in ("Model: {Precision: 'ap_fixed<16,6>'}\n", "Model:\n  Precision: ap_fixed<16,6>\n"):
        cfg = tmp_path / "ok.yaml"
        cfg.write_text(text)
        assert load_config(cfg).model["Precision"]["weight"] == "ap_fixed<16,6>"


def test_the_cli_turns_the_hint_into_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    menu = tmp_path / "menu.yaml"
    menu.write_text(MENU % "ap_ufixed<11,10>")
    assert main(["rates", str(menu), "--input", str(tmp_path / "none.root")]) == 2
    err = capsys.readouterr().err
    assert "seeds.L1_HTT.algorithm.options.pt_type" in err and "quote it: pt_type: 'ap_ufixed<11,10>'" in err
