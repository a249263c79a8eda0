"""No confident wrong table: weights, unreadable chunks, duplicate files, precise messages for bad first inputs
(issue 14 items 2-4). Each case is checked against what the input holds, written here by hand."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import uproot

from tests.rates_helpers import menu_yaml, write_events
from trigger.cli import main

SEED = "  SingleMu5: {legs: [{collection: muons, min_pt: 5}]}\n"
N = 400


def _sample(path: Path, weight: list[float] | None = None, n: int = N) -> Path:
    return write_events(
        path,
        {
            "weight": weight if weight is not None else [1.0] * n,
            "L1Mu_pt": [[6.0] if i % 2 else [3.0] for i in range(n)],
            "L1Mu_eta": [[0.1]] * n,
            "L1Mu_phi": [[0.0]] * n,
            "L1Mu_bx": [[0]] * n,
        },
    )


def _corrupt_basket(src: Path, dst: Path, branch: str = "L1Mu_pt") -> Path:
    """A copy of ``src`` whose (only) basket of ``branch`` has garbage in its compressed payload."""
    shutil.copyfile(src, dst)
    b = uproot.open(dst)["Events"][branch]
    seek, size = int(b.member("fBasketSeek")[0]), int(b.member("fBasketBytes")[0])
    with dst.open("r+b") as fh:
        fh.seek(seek + size // 2)
        fh.write(b"\xff" * (size // 3))
    return dst


def _rates(tmp_path: Path, inputs: list[str], *extra: str, menu: Path | None = None) -> int:
    m = menu or menu_yaml(tmp_path / "m.yaml", SEED, "budget_khz: 100\n")
    return main(["rates", str(m), "-i", *inputs, "--schema", "l1emu", "-o", str(tmp_path / "out"), *extra])


def _json(tmp_path: Path) -> dict[str, object]:
    report: dict[str, object] = json.loads((tmp_path / "out" / "rates.json").read_text())
    return report


# -------------------------------------------------------------------------------------------- weights
@pytest.mark.parametrize(
    ("weights", "what"),
    [
        ([1.0] * (N - 1) + [-1000.0], "is -601"),  # 399 - 1000
        ([0.0] * N, "is 0"),
        ([float("nan")] * N, "is 0"),  # non-finite weights count as 0
        ([1.0, -1.0] * (N // 2), "is 0"),
    ],
)
def test_a_weight_sum_that_cannot_normalise_a_rate_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], weights: list[float], what: str
) -> None:
    f = _sample(tmp_path / "w.root", weights)
    assert _rates(tmp_path, [str(f)]) == 2
    err = capsys.readouterr().err
    assert f"sum of event weights over {N} events {what}" in err and "negative weights are allowed" in err
    assert not (tmp_path / "out").exists()


def test_negative_weights_with_a_positive_sum_give_positive_errors(tmp_path: Path) -> None:
    w = [2.0] * N
    w[1] = -3.0  # an NLO-like negative weight on a passing event (odd events pass)
    f = _sample(tmp_path / "w.root", w)
    assert _rates(tmp_path, [str(f)]) == 0
    raw = _json(tmp_path)["seeds"][0]["raw"]  # type: ignore[index]
    sumw_pass = 2.0 * (N // 2 - 1) - 3.0
    assert raw["sumw"] == pytest.approx(sumw_pass)
    total = 2.0 * (N - 1) - 3.0
    assert raw["khz"] == pytest.approx(2760 * 11.2456 * sumw_pass / total)
    assert raw["err_down"] > 0 and raw["err_up"] > 0


# ------------------------------------------------------------------------------------ --skip-bad-files
def test_skip_bad_files_never_gives_a_table_over_zero_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _corrupt_basket(_sample(tmp_path / "good.root"), tmp_path / "bad.root")
    assert _rates(tmp_path, [str(bad)]) == 2
    err = capsys.readouterr().err
    assert "branch 'L1Mu_pt'" in err and "corrupt basket" in err  # the branch is named
    assert _rates(tmp_path, [str(bad)], "--skip-bad-files") == 2
    assert "all 1 chunks were unreadable" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_processed_count_excludes_skipped_chunks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _sample(tmp_path / "good.root")
    bad = _corrupt_basket(_sample(tmp_path / "other.root", [1.5] * 250, n=250), tmp_path / "bad.root")
    assert _rates(tmp_path, [str(good), str(bad)], "--skip-bad-files") == 0
    captured = capsys.readouterr()
    assert f"processed {N} events in 1 chunks (1 unreadable chunks skipped)" in captured.err
    assert _json(tmp_path)["events"] == N and f": {N} events" in captured.out


# ------------------------------------------------------------------------------------------ duplicates
def test_the_same_file_twice_is_refused_unless_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _sample(tmp_path / "a.root")
    copy = tmp_path / "copy.root"
    shutil.copyfile(f, copy)
    link = tmp_path / "link.root"
    os.symlink(f, link)
    other = _sample(tmp_path / "b.root", [2.0] * N)
    for inputs, needle in (
        ([str(f), str(f)], "is given twice"),
        ([str(f), str(link)], "is given twice"),
        ([str(tmp_path / "*.root"), str(f)], "is given twice"),  # a glob and a name
        ([str(f), str(copy)], "have the same content"),
    ):
        assert _rates(tmp_path, inputs) == 2, inputs
        err = capsys.readouterr().err
        assert needle in err and "--allow-duplicates" in err, (inputs, err)
        assert not (tmp_path / "out").exists()
    assert _rates(tmp_path, [str(f), str(other)]) == 0  # same size, different content: fine
    assert _rates(tmp_path, [str(f), str(copy)], "--allow-duplicates") == 0
    assert _json(tmp_path)["events"] == 2 * N


# ------------------------------------------------------------------------------ precise input messages
def test_a_bad_first_input_says_what_is_wrong_with_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _sample(tmp_path / "good.root")
    (tmp_path / "empty.root").write_bytes(b"")
    (tmp_path / "text.root").write_text("hello, not ROOT\n")
    (tmp_path / "adir.root").mkdir()
    data = good.read_bytes()
    (tmp_path / "cut.root").write_bytes(data[: len(data) // 2])
    with uproot.recreate(tmp_path / "other.root") as fh:
        fh["Delphes"] = {"x": [1.0, 2.0]}
    menu = menu_yaml(tmp_path / "m.yaml", SEED, "budget_khz: 100\n")
    cases = {
        "missing.root": "does not exist",
        "adir.root": "is a directory, not a ROOT file",
        "empty.root": "is empty (0 bytes)",
        "text.root": "is not a ROOT file",
        "cut.root": "is truncated: its header says",
        "other.root": "holds no tree named 'Events'",
    }
    for name, needle in cases.items():
        args = ["rates", str(menu), "-i", str(tmp_path / name), str(good), "-o", str(tmp_path / "out")]
        assert main(args) == 2, name  # no --schema: the first file used to be blamed for the schema
        err = capsys.readouterr().err
        assert needle in err and str(tmp_path / name) in err and "cannot tell which schema" not in err, (name, err)
        assert main([*args, "--skip-bad-files"]) == 0, name  # the schema comes from the first good file
        out = capsys.readouterr().out
        assert f"{tmp_path / name}" in out and f": {N} events" in out, name
        shutil.rmtree(tmp_path / "out")
    assert "it holds 'Delphes' (" in _other_tree_message(tmp_path, menu, capsys)


def _other_tree_message(tmp_path: Path, menu: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["rates", str(menu), "-i", str(tmp_path / "other.root"), "-o", str(tmp_path / "out")]) == 2
    return capsys.readouterr().err


# ------------------------------------------------------------------------------------- bounded scans
def test_scans_refuse_more_thresholds_than_the_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _sample(tmp_path / "a.root")
    menu = menu_yaml(tmp_path / "m.yaml", SEED, "budget_khz: 100\n")
    base = ["scan", str(menu), "SingleMu5", "-i", str(f), "-o", str(tmp_path / "out"), "--no-plot"]
    assert main([*base, "--thresholds", "0:1e6:0.001"]) == 2  # 1e9 values: refused before any allocation
    assert "gives 1,000,000,001 values, more than the limit 100,000" in capsys.readouterr().err
    assert main([*base, "--thresholds", "0:10:1", "--max-thresholds", "5"]) == 2
    assert "gives 11 values, more than the limit 5" in capsys.readouterr().err
    assert main([*base, "--max-thresholds", "3"]) == 2  # the default range 0..max pt (6 GeV) step 1
    assert "would be more than 3 values" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert main([*base, "--thresholds", "0:10:1", "--max-thresholds", "11"]) == 0
    rows = (tmp_path / "out" / "scan_SingleMu5.csv").read_text().splitlines()
    assert len(rows) == 12 and rows[6].startswith("5,") and rows[6].endswith(f",{N // 2}")  # odd events have 6 GeV


def test_a_defaulted_budget_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _sample(tmp_path / "a.root")
    assert _rates(tmp_path, [str(f)], menu=menu_yaml(tmp_path / "m.yaml", SEED)) == 0
    assert "sets no budget_khz: using the default 100 kHz" in capsys.readouterr().err


def test_a_negative_seed_rate_is_flagged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _sample(tmp_path / "w.root", [3.0, -1.0] * (N // 2))  # odd events pass: their weights sum to -200
    assert _rates(tmp_path, [str(f)]) == 0
    err = capsys.readouterr().err
    assert "warning: seed SingleMu5: rate -" in err and "sum to -200" in err
    raw = _json(tmp_path)["seeds"][0]["raw"]  # type: ignore[index]
    assert raw["khz"] == pytest.approx(-2760 * 11.2456 * 200 / 400) and raw["err_up"] > 0
