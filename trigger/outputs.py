"""Output paths: checked before the event loop, and a report set replaced as a whole.

A command first calls :func:`check_outdir` (is the directory creatable and writable, is no report
name taken by a directory), so a bad ``-o`` costs nothing; at the end :func:`write_set` writes
every file into a staging directory beside the reports, then swaps them in, keeping the previous
files aside until every rename has succeeded: a failure puts the previous set back untouched.
Files are created with mode ``0666`` minus the umask, like any other tool's output.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from trigger.errors import OutputError

__all__ = ["check_name", "check_outdir", "current_umask", "probe_writable", "write_set"]

_NAME = re.compile(r"[A-Za-z0-9_.+=-]+")


def current_umask() -> int:
    """The process umask (``os.umask`` can only be read by setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def check_name(name: str) -> str:
    """A report file name must be one plain path component (a seed name never escapes the directory)."""
    if not _NAME.fullmatch(name) or name in (".", ".."):
        raise OutputError(
            f"report file name {name!r} is not a plain file name (letters, digits, '_', '.', '-', '+', '=' only); "
            "rename the seed or the output"
        )
    return name


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def probe_writable(directory: Path, what: str, *, beside: bool = False) -> None:
    """Raise :class:`OutputError` unless files can be created in ``directory`` (``beside``: next to it) or, if it
    does not exist yet, in its nearest existing ancestor: a probe creates and removes a temporary directory there."""
    existing = directory.parent if beside else directory
    while not (existing.exists() or existing.is_symlink()):
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"{what} {directory}: {existing} is not a directory; choose another path")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".l1emu-probe-", dir=existing))
    except OSError as exc:
        raise OutputError(f"{what} {directory}: cannot create files in {existing}: {_why(exc)}") from None


def check_outdir(outdir: str | Path, names: Iterable[str] = ()) -> Path:
    """The output directory, checked before any work: creatable, writable, and no ``names`` taken by a non-file."""
    out = Path(outdir)
    if str(outdir).strip() == "":
        raise OutputError("the output directory is empty (''); give -o DIR")
    if (out.exists() or out.is_symlink()) and not out.is_dir():
        raise OutputError(f"output directory {out} exists and is not a directory; choose another -o DIR")
    probe_writable(out, "output directory")
    for name in names:
        path = out / check_name(name)
        if (path.exists() or path.is_symlink()) and not path.is_file():
            raise OutputError(
                f"{path} exists and is not a regular file (a directory or a broken link?); "
                "the report cannot replace it: remove it or choose another -o DIR"
            )
    return out


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as for any tool
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_set(outdir: str | Path, files: Mapping[str, str | bytes]) -> list[Path]:
    """Write ``files`` (name -> content) into ``outdir`` as one set: all replaced, or none (the old ones kept).

    Raises :class:`OutputError` naming the directory and the reason; on any failure (or an interrupt)
    the files ``outdir`` held before are back in place and no temporary is left.
    """
    out = check_outdir(outdir, files)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output directory {out}: {_why(exc)}") from None
    stage = old = None
    placed: list[str] = []
    kept: list[str] = []
    try:
        stage = Path(tempfile.mkdtemp(prefix=".l1emu-new-", dir=out))
        old = Path(tempfile.mkdtemp(prefix=".l1emu-old-", dir=out))
        for name, content in files.items():
            _write(stage / name, content.encode() if isinstance(content, str) else content)
        for name in files:
            final = out / name
            if final.exists() or final.is_symlink():
                if final.is_dir() and not final.is_symlink():
                    raise IsADirectoryError(21, "a directory has the report's name", str(final))
                os.rename(final, old / name)
                kept.append(name)
            os.rename(stage / name, final)
            placed.append(name)
    except BaseException as exc:
        for name in placed:  # back to the set as it was: new files out, old files in
            (out / name).unlink(missing_ok=True)
        for name in kept:
            assert old is not None
            os.rename(old / name, out / name)
        if isinstance(exc, OSError):
            why = f"cannot write reports to {out}: {_why(exc)}; the previous reports are unchanged"
            raise OutputError(why) from None
        raise
    finally:
        for tmp in (stage, old):
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
    return [out / name for name in files]
