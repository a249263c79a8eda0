"""``l1emu rates|scan|threshold|efficiency`` end to end on a toy sample."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.rates_helpers import DEFAULT_MENU
from trigger.cli import main
from trigger.cli._common import parse_rate
from trigger.errors import ConfigError, OutputError
from trigger.rates import write_atomic


def test_rates_end_to_end(toy_sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o"
    assert (
        main(
            [
                "rates",
                str(DEFAULT_MENU),
                "-i",
                str(toy_sample),
                "-o",
                str(out),
                "--max-events",
                "12000",
                "--chunk-size",
                "5000",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "zero-bias rate 31.038 MHz" in text and "vs budget 100 kHz" in text
    report = json.loads((out / "rates.json").read_text())
    assert report["events"] == 12_000
    rows = list(csv.DictReader((out / "rates.csv").read_text().splitlines()))
    assert [r["seed"] for r in rows][-2:] == ["TOTAL_before_prescales", "TOTAL_after_prescales"]
    by_name = {r["seed"]: r for r in rows}
    assert by_name["L1_SingleMu0_BMTF_test"]["prescale"] == "off"
    assert by_name["L1_SingleMu0_BMTF_test"]["count_ps"] == "0"
    assert float(by_name["TOTAL_after_prescales"]["rate_khz"]) == pytest.approx(
        report["total_prescaled"]["khz"], rel=1e-5
    )
    md = (out / "rates.md").read_text()
    assert "| L1_FixedHT320 |" in md and "events differing" in md


def test_scan_threshold_efficiency(toy_sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o"
    common = ["-i", str(toy_sample), "-o", str(out), "--schema", "l1emu"]
    assert main(["scan", str(DEFAULT_MENU), "L1_HTT280er", *common, "--thresholds", "200:400:50"]) == 0
    rows = list(csv.DictReader((out / "scan_L1_HTT280er.csv").read_text().splitlines()))
    assert [r["threshold"] for r in rows] == ["200", "250", "300", "350", "400"]
    rates = [float(r["rate_khz"]) for r in rows]
    assert rates == sorted(rates, reverse=True) and rates[0] > rates[-1]
    assert (out / "scan_L1_HTT280er.png").stat().st_size > 1000
    assert (out / "scan_L1_HTT280er.pdf").read_bytes().startswith(b"%PDF")
    assert main(["threshold", str(DEFAULT_MENU), "L1_HTT280er", *common, "--rate", "0.5MHz"]) == 0
    sol = json.loads((out / "threshold_L1_HTT280er.json").read_text())
    assert sol["rate_khz"] <= 500 < sol["rate_one_step_below_khz"]
    assert (
        main(
            [
                "efficiency",
                str(DEFAULT_MENU),
                "L1_HTT280er",
                "--signal",
                str(toy_sample),
                "-o",
                str(out),
                "--reference",
                "sum:HT",
                "--bins",
                "200:400:20",
            ]
        )
        == 0
    )
    eff = list(csv.DictReader((out / "efficiency_L1_HTT280er.csv").read_text().splitlines()))
    # the seed cuts on the reference itself: a step at 280 GeV
    assert [float(r["efficiency"]) for r in eff] == [0.0] * 4 + [1.0] * 6
    assert (out / "efficiency_L1_HTT280er.png").exists()
    capsys.readouterr()


def test_cli_errors(toy_sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o"
    assert main(["scan", str(DEFAULT_MENU), "L1_NoSuchSeed", "-i", str(toy_sample), "-o", str(out)]) == 2
    assert "has no seed 'L1_NoSuchSeed'" in capsys.readouterr().err
    assert (
        main(
            [
                "threshold",
                str(DEFAULT_MENU),
                "L1_HTT280er",
                "-i",
                str(toy_sample),
                "-o",
                str(out),
                "--rate",
                "ten",
            ]
        )
        == 2
    )
    assert "cannot read rate 'ten'" in capsys.readouterr().err
    assert (
        main(
            [
                "scan",
                str(DEFAULT_MENU),
                "L1_HTT280er",
                "-i",
                str(toy_sample),
                "-o",
                str(out),
                "--vary",
                "leg:3",
            ]
        )
        == 2
    )
    assert not out.exists()


def test_parse_rate() -> None:
    assert parse_rate("10kHz") == 10.0
    assert parse_rate("0.5 MHz") == 500.0
    assert parse_rate("800Hz") == pytest.approx(0.8)
    assert parse_rate("12") == 12.0
    with pytest.raises(ConfigError):
        parse_rate("fast")


def test_write_atomic_leaves_nothing_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "b.txt").mkdir()  # renaming a file onto a directory fails
    with pytest.raises(OutputError):
        write_atomic(out, {"a.txt": "A", "b.txt": "B"})
    assert sorted(p.name for p in out.iterdir()) == ["b.txt"]


def test_cli_pool_executor_same_json_and_progress(
    toy_sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [str(DEFAULT_MENU), "-i", str(toy_sample), "--chunk-size", "4000", "--max-events", "15000"]
    assert main(["rates", *args, "-o", str(tmp_path / "a")]) == 0
    assert main(["rates", *args, "-o", str(tmp_path / "b"), "--executor", "pool", "--workers", "2", "--progress"]) == 0
    err = capsys.readouterr().err
    assert "ev/s" in err and "executor pool" in err  # tqdm bar with events/s, then the summary line
    assert (tmp_path / "a" / "rates.json").read_text() == (tmp_path / "b" / "rates.json").read_text()


def _aligned_rows(text: list[str], n_seeds: int) -> list[str]:
    """The seed rows of rates.txt, checking every column starts where its header does."""
    head = next(i for i, line in enumerate(text) if line.startswith("seed "))
    rows = text[head + 1 : text.index("", head)]
    assert len(rows) == n_seeds
    for title in ("N_eff", "rate [kHz]", "after PS [kHz]"):
        col = text[head].index(title)
        assert all(r[col - 2 : col] == "  " and r[col] != " " for r in rows if title != "N_eff"), title
        end = col + len(title)
        assert all(r[end - 1] != " " and r[end] == " " for r in rows if title == "N_eff"), title
    return rows


def test_rates_text_columns_n_eff_and_prescale_options(
    toy_sample: Path, toy_sample_unweighted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o"
    assert main(["rates", str(DEFAULT_MENU), "-i", str(toy_sample), "-o", str(out), "--max-events", "4000"]) == 0
    capsys.readouterr()
    text = (out / "rates.txt").read_text().splitlines()
    assert any("prescales as expected values" in line for line in text)
    assert any(line.startswith("note: effective sample size below 10") for line in text)
    report = json.loads((out / "rates.json").read_text())
    rows = _aligned_rows(text, len(report["seeds"]))
    off = next(r for r in rows if r.startswith("L1_SingleMu0_BMTF_test "))
    assert "0 (off)" in off and off.count("±") + off.count(" +") == 1  # the raw rate's error bar only
    for s in report["seeds"]:
        assert 0 <= s["n_eff"] <= s["raw"]["count"] + 1e-9
    mu = next(s for s in report["seeds"] if s["name"] == "L1_SingleMu22")
    assert 0 < mu["n_eff"] <= mu["raw"]["count"]
    csv_rows = {r["seed"]: r for r in csv.DictReader((out / "rates.csv").read_text().splitlines())}
    assert float(csv_rows["L1_SingleMu22"]["n_eff"]) == pytest.approx(mu["n_eff"], rel=1e-5)
    assert csv_rows["L1_SingleMu0_BMTF_test"]["err_ps_khz"] == ""

    args = ["rates", str(DEFAULT_MENU), "-i", str(toy_sample_unweighted), "-o", str(out)]
    assert main([*args, "--random-prescale-counters", "3"]) == 0
    text_u = capsys.readouterr().out
    assert "prescales with the uGT counter (initial counters random (seed 3))" in text_u
    rows_u = _aligned_rows(text_u.splitlines(), len(report["seeds"]))
    assert any(" -" in r and " +" in r for r in rows_u)  # Clopper-Pearson: asymmetric error bars
    unweighted = json.loads((out / "rates.json").read_text())
    for s in unweighted["seeds"]:
        assert s["n_eff"] == s["raw"]["count"]  # unit weights: N_eff is the count
    assert main([*args, "--prescale-mode", "expected"]) == 0
    assert json.loads((out / "rates.json").read_text())["prescale_mode"] == "expected"
