"""SIGINT and SIGTERM end every worker process within seconds and leave no partial output (issue 14 item 7).

A real ``l1emu`` process is started, signalled once its workers run, and then no process it started may
still be alive, and its output directory holds nothing (no report, no temporary)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.rates_helpers import DEFAULT_MENU

REPO = Path(__file__).resolve().parents[1]


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    # SIGINT as at a terminal: a job started in the background by a non-interactive shell (CI runners) inherits
    # SIGINT ignored, and the command would then run to its end
    code = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "from trigger.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO
    )


def _workers(proc: subprocess.Popen[bytes], want: int, timeout: float) -> list[psutil.Process]:
    """The process's descendants once ``want`` of them run (spawned workers plus the resource tracker)."""
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"finished before it was signalled (exit {proc.returncode}): {err.decode()[-2000:]}")
        kids = parent.children(recursive=True)
        busy = [k for k in kids if _cpu(k) > 0.2]
        if len(busy) >= want:
            return kids
        time.sleep(0.2)
    proc.kill()
    pytest.fail(f"no {want} busy workers within {timeout} s")


def _cpu(p: psutil.Process) -> float:
    try:
        t = p.cpu_times()
        return float(t.user + t.system)
    except psutil.Error:
        return 0.0


def _signal_and_check(proc: subprocess.Popen[bytes], sig: int, kids: list[psutil.Process], code: int) -> str:
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"still running 20 s after signal {sig}")
    _, alive = psutil.wait_procs(kids, timeout=5)
    for p in alive:
        p.kill()
    assert not alive, f"workers survived signal {sig}: {[p.pid for p in alive]}"
    assert proc.returncode == code, err.decode()[-2000:]
    return err.decode()


@pytest.fixture(scope="module")
def long_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from trigger.io.synthetic import write_sample

    return write_sample(tmp_path_factory.mktemp("long") / "long.root", 400_000, seed=3, chunk=2_000)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_rates_pool_workers_end_with_the_command(long_sample: Path, tmp_path: Path, sig: int, code: int) -> None:
    out = tmp_path / "out"
    inputs = [str(long_sample)] * 10  # 4 M events: still running when the signal comes, even on an idle machine
    pool = ("--executor", "pool", "--workers", "2")
    proc = _start(["rates", str(DEFAULT_MENU), "-i", *inputs, "--allow-duplicates", "-o", str(out), *pool])
    kids = _workers(proc, 2, timeout=120)
    err = _signal_and_check(proc, sig, kids, code)
    assert "terminated" in err or "interrupted" in err
    assert not out.exists() or list(out.iterdir()) == []


def test_generate_workers_end_with_the_command(tmp_path: Path) -> None:
    pytest.importorskip("pythia8mc")
    output = tmp_path / "s" / "wmunu.root"
    cache = str(tmp_path / "cache")
    proc = _start(
        [
            "generate",
            "wmunu",
            "-n",
            "100000",
            "--chunk",
            "200",
            "-j",
            "2",
            "-o",
            str(output),
            "--quiet",
            "--cache-dir",
            cache,
        ]
    )
    kids = _workers(proc, 2, timeout=180)
    _signal_and_check(proc, signal.SIGTERM, kids, 143)
    assert not output.exists()
    assert not output.parent.exists() or list(output.parent.iterdir()) == []
