"""``l1emu hls export --menu MENU --seed SEED --input FILES``: an algorithm seed's firmware, C-simulated on
real events read through the features stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rates_helpers import DEFAULT_MENU, menu_yaml
from trigger.cli import main

NANOAOD = Path(__file__).resolve().parents[2] / "shared" / "data" / "nanoAOD_2015_CMS_Open_Data_ttbar.root"


def test_fixed_ht_seed_of_the_default_menu(
    toy_sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["hls", "export", "--menu", str(DEFAULT_MENU), "--seed", "L1_FixedHT320", "--input", str(toy_sample)]
    assert main([*argv, "-o", str(tmp_path / "prj"), "--csim", "10000"]) == 0
    out = capsys.readouterr().out
    assert "10000 outputs compared bit for bit, 0 mismatches" in out and "algorithm fixed_ht" in out
    assert (tmp_path / "prj" / "l1emu_project.json").is_file()


@pytest.mark.realdata
def test_fixed_ht_on_cms_open_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not NANOAOD.is_file():
        pytest.fail(f"shared data file {NANOAOD} missing")
    menu = menu_yaml(
        tmp_path / "m.yaml",
        "  L1_HT: {algorithm: {name: fixed_ht, output: ht, min: 200, options: {slots: 8, min_pt: 20}}}\n",
    )
    argv = ["hls", "export", "--menu", str(menu), "--seed", "L1_HT", "-i", str(NANOAOD), "-o", str(tmp_path / "p")]
    assert main([*argv, "--csim", "10000"]) == 0
    assert ", 0 mismatches" in capsys.readouterr().out


def test_refusals(toy_sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["hls", "export", "--menu", str(DEFAULT_MENU), "-o", str(tmp_path / "x")]
    assert main([*base, "--seed", "L1_SingleMu22", "--input", str(toy_sample)]) == 2
    assert "cut seed, not an algorithm seed" in capsys.readouterr().err
    assert main([*base, "--seed", "L1_FixedHT320"]) == 2
    assert "--input FILES" in capsys.readouterr().err
    assert main([*base, "--seed", "L1_NoSuchSeed", "--input", str(toy_sample)]) == 2
    assert "no seed 'L1_NoSuchSeed'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
