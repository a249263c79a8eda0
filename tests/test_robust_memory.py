"""Memory stays bounded as the input grows (issue 14 item 6): peak RSS at 10x the events, same chunking.

Each run is a fresh interpreter (``ru_maxrss`` is a high-water mark of the process); the 10x input is the
1x file listed ten times (``--allow-duplicates``), so only the event count differs. A command that kept
every chunk would add ~10 MB per 20 000 toy events here; scan and threshold keep, by design, one value and
one weight per event that has a value (16 bytes; 3 MB at 200 000 events), well inside the bound.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

MENU = Path(__file__).resolve().parents[1] / "configs" / "menus" / "l1_menu_default.yaml"
PROBE = (
    "import resource, sys\n"
    "from trigger.cli import main\n"
    "rc = main(sys.argv[1:])\n"
    "print(f'PEAK_RSS_KB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}', file=sys.stderr)\n"
    "sys.exit(rc)\n"
)
GROWTH_MB = 25.0


def _peak_rss_mb(argv: list[str], cwd: Path) -> float:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stderr.splitlines() if x.startswith("PEAK_RSS_KB"))
    return int(line.split()[1]) / 1024


@pytest.mark.parametrize(
    "command",
    [
        ["rates", str(MENU)],
        ["threshold", str(MENU), "L1_HTT280er", "--rate", "10kHz"],
    ],
    ids=["rates", "threshold"],
)
def test_peak_memory_is_flat_in_the_number_of_events(command: list[str], toy_sample: Path, tmp_path: Path) -> None:
    peaks = []
    for copies in (1, 10):
        inputs = [str(toy_sample)] * copies
        argv = [*command, "-i", *inputs, "--allow-duplicates", "--chunk-size", "2000", "--no-progress"]
        peaks.append(_peak_rss_mb([*argv, "-o", str(tmp_path / f"out{copies}")], tmp_path))
    assert peaks[1] - peaks[0] < GROWTH_MB, f"peak RSS {peaks[0]:.1f} MB at 1x, {peaks[1]:.1f} MB at 10x"
