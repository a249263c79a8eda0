"""Generation is the optional extra [gen]: reading files and computing rates never import Pythia or FastJet,
and `l1emu generate` without them exits 2 saying what to install. Checked in a fresh interpreter whose
``sys.modules`` blocks both (any import of them raises)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trigger.errors import MissingExtraError
from trigger.extras import import_optional, require_extra

ROOT = Path(__file__).resolve().parents[1]
# one fresh interpreter runs every command (startup costs seconds): rc, stdout, stderr of each, as JSON
BLOCKED = """
import contextlib, io, json, sys
sys.modules["pythia8mc"] = None
sys.modules["fastjet"] = None
from trigger.cli import main
results = []
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as exc:
            rc = exc.code
    results.append([rc, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""


def test_rates_run_and_generate_says_what_to_install_without_pythia_and_fastjet(
    toy_sample: Path, tmp_path: Path
) -> None:
    menu = ROOT / "configs" / "menus" / "l1_menu_default.yaml"
    commands = [
        ["rates", "--help"],
        ["rates", str(menu), "--input", str(toy_sample), "--max-events", "2000", "-o", "out"],
        ["generate", "--list"],  # the catalogue needs no generator
        ["generate", "zerobias", "-n", "1", "-o", "x.root"],
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED, json.dumps(commands)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr  # no command imported pythia8mc or fastjet
    (help_rc, help_out, _), (rates_rc, _, rates_err), (list_rc, listing, _), (gen_rc, _, gen_err) = json.loads(
        done.stdout
    )
    assert help_rc == 0 and "--input" in help_out
    assert rates_rc == 0, rates_err
    assert (tmp_path / "out" / "rates.json").exists()
    assert list_rc == 0 and "zerobias" in listing
    assert gen_rc == 2, gen_err
    assert "pip install 'l1emu[gen]'" in gen_err and "pythia8mc and fastjet" in gen_err
    assert not (tmp_path / "x.root").exists()


def test_missing_extra_is_a_domain_error_and_a_module_not_found_error() -> None:
    with pytest.raises(MissingExtraError, match=r"no_such_module_xyz.*pip install 'l1emu\[gen\]'"):
        require_extra("gen", "this feature", modules=("json", "no_such_module_xyz"))
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'l1emu\[plot\]'"):
        import_optional("mplhep.no_such_submodule")
