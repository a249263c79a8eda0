"""Outputs lose nothing: --force replaces only l1emu projects, a report set is swapped in whole or not at all,
and files honour the umask."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from hls.project import MANIFEST_FILE, PROJECT_FILE, is_project
from hls.writer import write_project
from trigger.cli import main
from trigger.errors import OutputError, ProjectExistsError
from trigger.fixed import FixedType
from trigger.nn import ModelDescription, SumLayer, describe
from trigger.outputs import check_outdir, write_set


def _ht(name: str = "fixed_ht") -> ModelDescription:
    pt_t = FixedType.from_string("ap_ufixed<11,10,AP_TRN,AP_SAT>")
    return describe(name, pt_t, [SumLayer("ht", 4, pt_t, FixedType.from_string("ap_ufixed<13,12,AP_TRN,AP_SAT>"))])


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _tree(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------------------------------------- --force
@pytest.mark.parametrize(
    "fake",
    [
        {MANIFEST_FILE: b"{}"},  # a manifest that is not one
        {PROJECT_FILE: json.dumps({"format": "l1emu-hls-project"}).encode()},  # a description, no manifest
        {"notes.txt": b"mine", "sub/data.csv": b"1,2"},  # somebody's folder
    ],
)
def test_force_never_deletes_a_directory_that_is_not_a_project(tmp_path: Path, fake: dict[str, bytes]) -> None:
    target = tmp_path / "prj"
    for rel, data in fake.items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_bytes(data)
    before = _tree(target)
    assert not is_project(target)
    with pytest.raises(ProjectExistsError, match="not an l1emu HLS project"):
        write_project(_ht(), target, force=True)
    code = main(["hls", "export", "m.keras", "--config", "c.yml", "-o", str(target), "--force"])
    assert code == 2 and _tree(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prj"]  # no temporary left beside it


def test_force_refuses_a_project_whose_description_was_replaced(tmp_path: Path) -> None:
    target = write_project(_ht(), tmp_path / "prj")
    assert is_project(target)
    (target / PROJECT_FILE).unlink()
    (target / PROJECT_FILE).mkdir()  # the manifest alone does not make it a project
    (target / PROJECT_FILE / "keep.txt").write_text("mine")
    with pytest.raises(ProjectExistsError):
        write_project(_ht(), target, force=True)
    assert (target / PROJECT_FILE / "keep.txt").read_text() == "mine"


def test_a_project_is_replaced_and_its_files_honour_the_umask(tmp_path: Path, umask: None) -> None:
    target = write_project(_ht("first"), tmp_path / "prj")
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert stat.S_IMODE((target / PROJECT_FILE).stat().st_mode) == 0o644
    write_project(_ht("second"), target, force=True)
    assert json.loads((target / PROJECT_FILE).read_text())["project"] == "second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    os.umask(0o077)
    write_project(_ht("third"), target, force=True)
    assert stat.S_IMODE(target.stat().st_mode) == 0o700


def test_a_failed_swap_puts_the_previous_project_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = write_project(_ht("first"), tmp_path / "prj")
    before = _tree(target)
    real = Path.rename

    def rename(self: Path, dst: str | Path) -> Path:
        if Path(dst) == target and self.name.startswith(".prj.") and ".old." not in self.name:
            raise OSError(28, "No space left on device")
        return real(self, dst)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(OutputError, match="No space left"):
        write_project(_ht("second"), target, force=True)
    assert _tree(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prj"]


@pytest.mark.parametrize("where", ["/proc/l1emu_x", "/dev/null/x", "", "FILE/sub"])
def test_unwritable_project_paths_exit_2_before_any_work(tmp_path: Path, where: str) -> None:
    if where == "FILE/sub":
        (tmp_path / "FILE").write_text("a file")
        where = str(tmp_path / "FILE" / "sub")
    code = main(["hls", "export", "no.keras", "--config", "c.yml", "-o", where])
    assert code == 2
    if "FILE" in where:
        assert (tmp_path / "FILE").read_text() == "a file"


# ----------------------------------------------------------------------------------------- report sets
def test_report_set_is_replaced_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "o"
    write_set(out, {"a.txt": "old A", "b.txt": "old B", "c.txt": "old C"})
    (out / "other.txt").write_text("not ours")
    real = os.rename
    calls = {"n": 0}

    def rename(src: str | Path, dst: str | Path) -> None:
        if Path(dst).parent == out and Path(dst).name == "c.txt" and ".l1emu-new-" in str(src):
            raise OSError(5, "Input/output error")
        calls["n"] += 1
        real(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OutputError, match="previous reports are unchanged"):
        write_set(out, {"a.txt": "new A", "b.txt": "new B", "c.txt": "new C"})
    assert calls["n"] > 2  # a.txt and b.txt had been swapped in before the failure
    assert _tree(out) == {"a.txt": b"old A", "b.txt": b"old B", "c.txt": b"old C", "other.txt": b"not ours"}
    monkeypatch.setattr(os, "rename", real)
    write_set(out, {"a.txt": "new A", "b.txt": "new B", "c.txt": "new C"})
    assert _tree(out) == {"a.txt": b"new A", "b.txt": b"new B", "c.txt": b"new C", "other.txt": b"not ours"}


def test_a_directory_with_a_report_name_is_refused_before_anything_changes(tmp_path: Path) -> None:
    out = tmp_path / "o"
    write_set(out, {"rates.txt": "good", "rates.md": "good md"})
    (out / "rates.md").unlink()
    (out / "rates.md").mkdir()
    with pytest.raises(OutputError, match="not a regular file"):
        check_outdir(out, ["rates.txt", "rates.md"])
    with pytest.raises(OutputError):
        write_set(out, {"rates.txt": "new", "rates.md": "new md"})
    assert (out / "rates.txt").read_text() == "good" and (out / "rates.md").is_dir()
    assert sorted(p.name for p in out.iterdir()) == ["rates.md", "rates.txt"]


def test_reports_honour_the_umask(tmp_path: Path, umask: None) -> None:
    (path,) = write_set(tmp_path / "o", {"r.txt": "x"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    os.umask(0o027)
    (path,) = write_set(tmp_path / "o", {"r.txt": "y"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.parametrize("name", ["../escape.txt", "a/b.csv", "..", ""])
def test_report_names_stay_inside_the_directory(tmp_path: Path, name: str) -> None:
    with pytest.raises(OutputError, match="not a plain file name"):
        write_set(tmp_path / "o", {name: "x"})
    assert not (tmp_path / "escape.txt").exists()
