"""Prescale columns in the CMS CSV form (``--prescale-table FILE [--column NAME]``), against hand-worked cases."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.rates_helpers import menu_yaml, write_events
from trigger.cli import main

ZB = 2760 * 11245.6 / 1000  # kHz

SEEDS = """\
  A: {legs: [{collection: muons, min_pt: 10}]}
  B: {legs: [{collection: muons, min_pt: 20}]}
  C: {sums: [{sum: HT, min: 100}]}
  E: {legs: [{collection: muons, min_pt: 100}]}
"""
#        ev:   0     1      2      3      4     5     6     7
MU_PT = [[25.0], [15.0], [5.0], [30.0], [12.0], [], [22.0], [5.0]]
HT = [0.0, 150.0, 150.0, 200.0, 0.0, 0.0, 0.0, 120.0]
# fires: A on 0 1 3 4 6, B on 0 3 6, C on 1 2 3 7; nothing on 5; E never
TABLE = """\
Index,Name,c1,c2,c3,c4
0,A,2,1,0,1.5
1,B,1,0,0,3
2,C,0,2,0,1
3,D,1,1,1,1
"""
# uGT counters from 0 (accept when 100 x fires reaches 100 x prescale):
#   c1: A (2) accepts its 2nd and 4th fires -> ev1, ev4; B (1) -> 0 3 6; C off. OR {0,1,3,4,6}: 5
#   c2: A -> 0 1 3 4 6; B off; C (2) -> 2nd, 4th fires: ev2, ev7. OR {0,1,2,3,4,6,7}: 7
#   c3: every seed in the table off; E (not in the table) keeps the menu's 1 but never fires: 0
#   c4: A (1.5) accepts fires 2 3 5 -> ev1 ev3 ev6; B (3) its 3rd -> ev6; C -> 1 2 3 7. OR {1,2,3,6,7}: 5
COUNTS = {"c1": 5, "c2": 7, "c3": 0, "c4": 5}


def _sample(path: Path, weights: list[float]) -> Path:
    return write_events(
        path,
        {
            "weight": weights,
            "L1Mu_pt": MU_PT,
            "L1Mu_eta": [[0.0] * len(m) for m in MU_PT],
            "L1Mu_phi": [[0.0] * len(m) for m in MU_PT],
            "L1Mu_bx": [[0] * len(m) for m in MU_PT],
            "L1EtSum_HT": HT,
        },
    )


def _run(tmp_path: Path, table: str, *extra: str, weights: list[float] | None = None, bom: bool = False) -> int:
    data = _sample(tmp_path / "s.root", weights or [1.0] * 8)
    ps = tmp_path / "ps.csv"
    ps.write_text(("\ufeff" if bom else "") + table, encoding="utf-8")
    menu = menu_yaml(tmp_path / "m.yaml", SEEDS)
    return main(["rates", str(menu), "-i", str(data), "--schema", "l1emu", "-o", str(tmp_path / "o"), *extra])


def test_every_column_total_by_the_counter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, TABLE, "--prescale-table", str(tmp_path / "ps.csv"), bom=True) == 0
    report = json.loads((tmp_path / "o" / "rates.json").read_text())
    got = {c["name"]: c["total"]["count"] for c in report["prescale_columns"]}
    assert got == COUNTS
    for c in report["prescale_columns"]:
        assert c["total"]["khz"] == pytest.approx(COUNTS[c["name"]] / 8 * ZB, rel=1e-12)
    # the seed table keeps the menu's prescales (all 1): the OR of every fire, 7 events
    assert report["total_prescaled"]["count"] == 7 and report["prescales_from"] == "menu"
    c4 = next(c for c in report["prescale_columns"] if c["name"] == "c4")
    assert [round(k / ZB * 8) for k in c4["seed_khz"]] == [3, 1, 4, 0]  # A B C E after c4's prescales
    out = capsys.readouterr()
    assert "1 seeds of the menu are not in prescale table" in out.err and ": E" in out.err
    assert "1 rows of prescale table" in out.err and "not in the menu: D" in out.err
    text = (tmp_path / "o" / "rates.txt").read_text()
    assert "prescale column" in text and "not in the menu: D" in text
    rows = {r["seed"]: r for r in csv.DictReader((tmp_path / "o" / "rates.csv").read_text().splitlines())}
    assert rows["TOTAL_after_prescales:c2"]["count"] == "7"


def test_spreadsheet_exports_with_trailing_empty_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = "\n".join(line + ",," for line in TABLE.splitlines()) + "\n,,,,,,,\n"
    assert _run(tmp_path, table, "--prescale-table", str(tmp_path / "ps.csv")) == 0
    report = json.loads((tmp_path / "o" / "rates.json").read_text())
    assert {c["name"]: c["total"]["count"] for c in report["prescale_columns"]} == COUNTS
    capsys.readouterr()


def test_one_column_sets_the_seed_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, TABLE, "--prescale-table", str(tmp_path / "ps.csv"), "--column", "c4") == 0
    report = json.loads((tmp_path / "o" / "rates.json").read_text())
    assert [s["prescale"] for s in report["seeds"]] == [1.5, 3.0, 1.0, 1.0]
    assert [s["prescaled"]["count"] for s in report["seeds"]] == [3, 1, 4, 0]
    assert report["total_prescaled"]["count"] == COUNTS["c4"]
    assert "column 'c4' of" in report["prescales_from"]
    capsys.readouterr()


def test_weighted_columns_are_expected_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = [1.0, 2.0, 1.0, 3.0, 1.0, 1.0, 1.0, 2.0]  # sum 12
    assert _run(tmp_path, TABLE, "--prescale-table", str(tmp_path / "ps.csv"), weights=w) == 0
    report = json.loads((tmp_path / "o" / "rates.json").read_text())
    khz = {c["name"]: c["total"]["khz"] for c in report["prescale_columns"]}
    # c1 (A 2, B 1, C off): w [1 - prod over fired (1 - 1/p)] per event:
    #   ev0 AB 1, ev1 AC 1/2, ev2 C 0, ev3 ABC 1, ev4 A 1/2, ev6 AB 1, ev7 C 0 -> 1 + 1 + 3 + 0.5 + 1 = 6.5
    assert khz["c1"] == pytest.approx(6.5 / 12 * ZB, rel=1e-12)
    # c4 (A 1.5, B 3, C 1): ev0 AB 1-(1/3)(2/3)=7/9; ev1 AC 1; ev2 C 1; ev3 1; ev4 A 2/3; ev6 AB 7/9; ev7 C 1
    c4 = 7 / 9 + 2 + 1 + 3 + 2 / 3 + 7 / 9 + 2
    assert khz["c4"] == pytest.approx(c4 / 12 * ZB, rel=1e-12)
    capsys.readouterr()


BAD = [
    ("Idx,Name,c1\n0,A,1\n", "line 1: expected the header Index,Name,<one column per luminosity>"),
    ("Index,Name,c1\n0,A,x\n", "line 2 (A), column 'c1': expected 0 (disabled) or a finite number >= 1, got 'x'"),
    ("Index,Name,c1\n0,A,0.5\n", "line 2 (A), column 'c1': expected 0 (disabled) or a number >= 1, got '0.5'"),
    ("Index,Name,c1\n0,A,1.234\n", "expected at most two decimals"),
    ("Index,Name,c1\n0,A,1\n1,A,2\n", "line 3: seed 'A' is listed twice"),
    ("Index,Name,c1,c1\n0,A,1,1\n", "line 1: column 'c1' is named twice"),
    ("Index,Name,c1\n0,A\n", "line 2: expected 3 cells like the header, got 2"),
    ("Index,Name,c1\nzero,A,1\n", "line 2: Index: expected an integer, got 'zero'"),
    ("Index,Name,c1\n", "has a header but no seed rows"),
    ("", "empty prescale table"),
]


@pytest.mark.parametrize(("table", "message"), BAD)
def test_bad_tables_exit_2_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, message: str
) -> None:
    assert _run(tmp_path, table, "--prescale-table", str(tmp_path / "ps.csv")) == 2
    err = capsys.readouterr().err
    assert message in err and "ps.csv" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_bad_column_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, TABLE, "--prescale-table", str(tmp_path / "ps.csv"), "--column", "c5") == 2
    assert "no prescale column 'c5'" in capsys.readouterr().err
    assert _run(tmp_path, TABLE, "--column", "c1") == 2
    assert "--column 'c1' needs --prescale-table FILE" in capsys.readouterr().err
    assert _run(tmp_path, TABLE, "--prescale-table", str(tmp_path / "nope.csv")) == 2
    assert "nope.csv: cannot read" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_menu_and_table_share_the_prescale_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _sample(tmp_path / "s.root", [1.0] * 8)
    menu = menu_yaml(tmp_path / "m.yaml", "  A: {legs: [{collection: muons, min_pt: 10}], prescale: .inf}\n")
    assert main(["rates", str(menu), "-i", str(data), "-o", str(tmp_path / "o")]) == 2
    assert "seeds.A.prescale: expected 0 (disabled) or a finite number >= 1, got inf" in capsys.readouterr().err
