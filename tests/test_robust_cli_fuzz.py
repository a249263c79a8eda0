"""Every command, every option, bad values: exit 2, one paragraph naming the problem, output untouched.

Run in-process (``main``), so the whole table costs seconds. Each value is one a user could type:
empty, zero, negative, NaN, infinite, huge, the wrong type, a path that is missing, a directory or
not writable. A traceback, another exit code, a multi-paragraph message or a changed output
directory fails the case (issue 14 item 1)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.rates_helpers import DEFAULT_MENU
from trigger.cli import main
from trigger.executors import DaskExecutor

SEED = "L1_SingleMu22"
HT = "L1_HTT280er"
EMPTY, ZERO, NEG, NAN, INF, HUGE, WORD = "", "0", "-1", "nan", "inf", "1" + "0" * 30, "abc"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, toy_sample: Path) -> dict[str, str]:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "adir").mkdir()
    (root / "empty.yaml").write_text("")
    (root / "text.txt").write_text("not what you think\n")
    np.save(root / "empty.npy", np.zeros((0, 16)))
    np.save(root / "nan.npy", np.full((4, 16), np.nan))
    np.save(root / "good.npy", np.random.default_rng(0).normal(0, 1, (4, 16)))
    np.save(root / "one_d.npy", np.zeros(16))
    (root / "cfg.yml").write_text("Model:\n  Precision: ap_fixed<16,6>\n  ReuseFactor: 1\n")
    return {
        "toy": str(toy_sample),
        "menu": str(DEFAULT_MENU),
        "missing": str(root / "missing.root"),
        "adir": str(root / "adir"),
        "empty_yaml": str(root / "empty.yaml"),
        "text": str(root / "text.txt"),
        "keras": str(Path(__file__).resolve().parents[1] / "configs/algorithms/jet_tagger/float.keras"),
        "cfg": str(root / "cfg.yml"),
        "empty_npy": str(root / "empty.npy"),
        "nan_npy": str(root / "nan.npy"),
        "good_npy": str(root / "good.npy"),
        "one_d_npy": str(root / "one_d.npy"),
    }


def _replace(argv: list[str], option: str, value: str) -> list[str]:
    """``argv`` with ``option``'s value set to ``value`` (appended if absent; positional by index '#N')."""
    out = list(argv)
    if option.startswith("#"):
        out[int(option[1:])] = value
        return out
    if option in out:
        out[out.index(option) + 1] = value
        return out
    return [*out, option, value]


def _cases() -> list[tuple[str, Callable[[dict[str, str], str], list[str]], str, list[str]]]:
    """(command, base argv given env and the output dir, option, bad values)."""

    def rates(e: dict[str, str], o: str) -> list[str]:
        return ["rates", e["menu"], "-i", e["toy"], "--schema", "l1emu", "-o", o, "--max-events", "2000"]

    def scan(e: dict[str, str], o: str) -> list[str]:
        return ["scan", e["menu"], HT, "-i", e["toy"], "-o", o, "--thresholds", "200:400:50", "--no-plot"]

    def threshold(e: dict[str, str], o: str) -> list[str]:
        return ["threshold", e["menu"], SEED, "-i", e["toy"], "-o", o, "--rate", "10kHz"]

    def efficiency(e: dict[str, str], o: str) -> list[str]:
        return ["efficiency", e["menu"], SEED, "--signal", e["toy"], "--reference", "muons", "-o", o, "--no-plot"]

    def export(e: dict[str, str], o: str) -> list[str]:
        return ["hls", "export", e["keras"], "--config", e["cfg"], "-o", f"{o}/prj"]

    def csim(e: dict[str, str], o: str) -> list[str]:
        return ["hls", "csim", o]

    def estimate(e: dict[str, str], o: str) -> list[str]:
        return ["hls", "estimate", e["keras"], "--config", e["cfg"]]

    def summary(e: dict[str, str], o: str) -> list[str]:
        return ["nn", "summary", e["keras"], "--config", e["cfg"]]

    def trace(e: dict[str, str], o: str) -> list[str]:
        return ["nn", "trace", e["keras"], "--config", e["cfg"], "--input", e["good_npy"]]

    def generate(e: dict[str, str], o: str) -> list[str]:
        return ["generate", "wmunu", "-n", "10", "-o", f"{o}/s.root", "--quiet"]

    def fixed_info(e: dict[str, str], o: str) -> list[str]:
        return ["fixed", "info", "ap_fixed<16,6>"]

    def fixed_quantize(e: dict[str, str], o: str) -> list[str]:
        return ["fixed", "quantize", "ap_fixed<16,6>", "1.5"]

    def fixed_check(e: dict[str, str], o: str) -> list[str]:
        return ["fixed", "check", "--formats", "1", "--values", "1"]

    loop = [
        ("--workers", [EMPTY, ZERO, NEG, NAN, HUGE, WORD, "1.5"]),
        ("--chunk-size", [EMPTY, ZERO, NEG, NAN, INF, WORD]),
        ("--max-events", [EMPTY, ZERO, NEG, NAN, WORD]),
        ("--executor", [EMPTY, WORD]),
        ("--scheduler", [EMPTY, WORD, "http://host", "tcp://127.0.0.1:9"]),
        ("--schema", ["nope", "{missing}", "{adir}", "{empty_yaml}"]),
        ("--tree", ["Nope"]),
        ("--input", [EMPTY, "{missing}", "{adir}", "{text}", "{menu}", "/nonexistent/*.root"]),
        ("-o", [EMPTY, "/proc/l1emu", "{text}", "/dev/null/x"]),
        ("#1", [EMPTY, "{missing}", "{adir}", "{empty_yaml}", "{text}", "{toy}"]),  # the menu
    ]
    cases = []
    for command in (rates, scan, threshold, efficiency):
        for option, values in loop:
            if command is efficiency and option == "--input":
                option = "--signal"
            if option == "--schema" and command is rates:
                values = [*values, WORD]
            cases.append((command.__name__, command, option, values))
    cases += [
        ("scan", scan, "#2", [EMPTY, "L1_Nope"]),  # the seed
        ("scan", scan, "--thresholds", [EMPTY, "0:10:0", "0:10:-1", "10:0:1", "nan:1:1", "0:inf:1", "0:1e6:0.001"]),
        ("scan", scan, "--thresholds", ["a,b", "3,1", "1,nan", "1:2", "1:2:3:4"]),
        ("scan", scan, "--vary", [EMPTY, "leg:9", "sum:5", "algorithm", "x", "leg:-1"]),
        ("scan", scan, "--max-thresholds", [ZERO, NEG, WORD, "2"]),
        ("threshold", threshold, "--rate", [EMPTY, ZERO, NEG, NAN, INF, WORD, "1e999kHz", "-5kHz", "10 GHz"]),
        ("threshold", threshold, "--step", [EMPTY, ZERO, NEG, NAN, INF, WORD]),
        ("efficiency", efficiency, "--bins", [EMPTY, "5", "0:0:1", "3,1", "0:100:0", WORD, "0:1e9:1"]),
        ("efficiency", efficiency, "--reference", [EMPTY, "nope", "sum:nope"]),
        ("efficiency", efficiency, "--reference-max-abs-eta", [EMPTY, NEG, NAN, WORD]),
        ("hls export", export, "#2", [EMPTY, "{missing}", "{adir}", "{text}", "{cfg}"]),  # the model
        ("hls export", export, "--config", [EMPTY, "{missing}", "{adir}", "{empty_yaml}", "{text}"]),
        ("hls export", export, "--calibration", [EMPTY, "{missing}", "{text}", "{empty_npy}", "{one_d_npy}"]),
        ("hls export", export, "--csim", [NEG, NAN, HUGE, WORD, EMPTY]),
        ("hls export", export, "--clock", [EMPTY, ZERO, NEG, NAN, INF, WORD]),
        ("hls export", export, "--part", [EMPTY, "a b", "x;rm -rf /"]),
        ("hls export", export, "--random-seed", [NEG, WORD, EMPTY]),
        ("hls export", export, "-o", [EMPTY, "/proc/l1emu", "{text}", "/dev/null/x"]),
        ("hls export", export, "--menu", ["{menu}"]),  # --menu without --seed/--input
        ("hls csim", csim, "#2", [EMPTY, "{missing}", "{adir}", "{text}"]),
        ("hls csim", csim, "--n", [NEG, NAN, HUGE, WORD]),
        ("hls estimate", estimate, "--config", [EMPTY, "{missing}", "{text}"]),
        ("nn summary", summary, "#2", [EMPTY, "{missing}", "{adir}", "{text}"]),
        ("nn summary", summary, "--config", [EMPTY, "{missing}", "{adir}", "{text}"]),
        ("nn summary", summary, "--calibration", [EMPTY, "{missing}", "{text}", "{empty_npy}", "{nan_npy}"]),
        ("nn trace", trace, "--input", [EMPTY, "{missing}", "{text}", "{empty_npy}", "{one_d_npy}", "{nan_npy}"]),
        ("generate", generate, "#1", [EMPTY, "nope"]),
        ("generate", generate, "-n", [EMPTY, ZERO, NEG, NAN, WORD]),
        ("generate", generate, "--seed", [NEG, WORD]),
        ("generate", generate, "--mu", [EMPTY, NEG, NAN, INF, WORD, "1e9"]),
        ("generate", generate, "-j", [EMPTY, ZERO, NEG, HUGE, WORD]),
        ("generate", generate, "--chunk", [ZERO, NEG, WORD]),
        ("generate", generate, "--pool-size", [ZERO, NEG, HUGE, WORD]),
        ("generate", generate, "--pool-seed", [NEG, WORD]),
        ("generate", generate, "-o", [EMPTY, "{adir}", "/proc/l1emu/s.root", "/dev/null/s.root"]),
        ("generate", generate, "--info", [EMPTY, "{missing}", "{text}", "{adir}"]),
        ("generate", generate, "--all", ["{missing}", "{adir}", "{text}"]),
        ("fixed info", fixed_info, "#2", [EMPTY, WORD, "ap_fixed<0,0>", "ap_fixed<16,6,BOGUS>", "ap_fixed<16"]),
        ("fixed quantize", fixed_quantize, "#2", [EMPTY, WORD, "ap_int<-3>"]),
        ("fixed quantize", fixed_quantize, "#3", [EMPTY, WORD, NAN]),
        ("fixed check", fixed_check, "--formats", [EMPTY, ZERO, NEG, HUGE, WORD]),
        ("fixed check", fixed_check, "--values", [EMPTY, ZERO, NEG, HUGE, WORD]),
        ("fixed check", fixed_check, "--seed", [NEG, WORD]),
    ]
    return cases


CASES = [(name, base, option, value) for name, base, option, values in _cases() for value in values]


@pytest.mark.parametrize(("name", "base", "option", "value"), CASES, ids=[f"{c[0]} {c[2]}={c[3]!r}" for c in CASES])
def test_bad_argument_exits_2_with_one_paragraph_and_no_output(
    name: str,
    base: Callable[[dict[str, str], str], list[str]],
    option: str,
    value: str,
    env: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(DaskExecutor, "connect_timeout", 2.0)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("previous results")
    argv = _replace(base(env, str(out)), option, value.format(**env))
    if option == "--executor" or option == "--scheduler":
        argv = _replace(argv, "--executor", "dask") if option == "--scheduler" else argv
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse refuses a value while parsing
        code = exc.code  # type: ignore[assignment]
    err = capsys.readouterr().err
    assert code == 2, f"exit {code} for {argv}: {err[-3000:]}"
    assert "Traceback" not in err, err
    lines = [line for line in err.strip().splitlines() if not line.startswith("note: ")]
    assert len(lines) == 1 and lines[0].startswith("l1emu "), err  # one paragraph, from l1emu
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"], argv
    assert (out / "keep.txt").read_text() == "previous results"


@pytest.mark.parametrize("name", ["rates", "scan", "threshold", "efficiency", "nn summary", "nn trace", "hls estimate"])
def test_the_base_commands_succeed(
    name: str, env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each bad case differs from a command that works in one value: the refusals are about that value."""
    base = next(b for n, b, _, _ in _cases() if n == name)
    assert main(base(env, str(tmp_path / "out"))) == 0, capsys.readouterr().err
