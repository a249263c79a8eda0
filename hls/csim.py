"""C simulation without vendor tools: build a written project with g++, compare every output bit.

The project's own testbench is compiled (top function + ``<name>_test.cpp``) against the ap_types
headers into a small executable, cached by a hash of the sources and flags.  It reads inputs as
exact hex floats and writes the raw bits of every output; :func:`run_csim` compares them with
:func:`trigger.nn.run_fixed` on the same inputs.  0 mismatches is the requirement.

:func:`run_csim` first reads the project (:func:`load_project`): the manifest must match every
file, the description is parsed from JSON and numbers (nothing unpickled), and the C++ must be
exactly what :mod:`hls.writer` renders from that description, so a crafted project can neither
run code while it is read nor get its own code compiled.  The project's directories are on the
quote include path only (``-iquote``): they cannot shadow a system or ap_types header.

>>> # report = csim_model(model, n=10_000); report.mismatches  # -> 0
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hls.project import Project, read_project
from hls.toolchain import ap_types_include, cache_dir, find_gxx
from hls.writer import check_sources, format_inputs, write_project
from trigger.errors import CsimError
from trigger.nn.emulate import run_fixed
from trigger.nn.layers import ModelDescription

__all__ = [
    "CSIM_FLAGS",
    "CsimReport",
    "build_testbench",
    "csim_model",
    "load_project",
    "load_project_model",
    "random_inputs",
    "run_csim",
]

#: -O1: the testbench runs 10^4 samples in well under a second, and -O1 compiles ~2x faster than -O2
CSIM_FLAGS = ("-std=c++17", "-O1", "-w", "-DNDEBUG")


@dataclass(frozen=True)
class CsimReport:
    """Outcome of one C simulation: samples, outputs compared, mismatching outputs, first few."""

    project: Path
    samples: int
    outputs: int
    mismatches: int
    first: tuple[str, ...]
    compile_seconds: float
    cached: bool
    #: what the C++ computed, as values of the model's output type (samples, outputs)
    cpp_values: NDArray[np.float64] | None = field(default=None, repr=False, compare=False)

    def summary(self) -> str:
        how = "cached build" if self.cached else f"compiled in {self.compile_seconds:.1f} s"
        lines = [
            f"csim {self.project}: {self.samples} samples, {self.outputs} outputs compared bit for bit, "
            f"{self.mismatches} mismatches ({how})"
        ]
        lines += [f"  {m}" for m in self.first]
        return "\n".join(lines)


def _project_name(project: Path) -> str:
    tests = sorted(project.glob("*_test.cpp"))
    if len(tests) != 1 or not (project / "firmware").is_dir():
        raise CsimError(f"{project}: not an l1emu HLS project (expected firmware/ and one <name>_test.cpp)")
    return tests[0].name.removesuffix("_test.cpp")


def build_testbench(project: str | Path, *, jobs: int = 2) -> tuple[Path, float, bool]:
    """Compile the project's testbench; returns (executable, seconds spent compiling, whether cached).

    The top function and the testbench are two translation units, compiled by ``jobs`` g++
    processes at once (``jobs=1`` when the caller already runs builds in parallel).
    """
    project = Path(project)
    name = _project_name(project)
    sources = [project / "firmware" / f"{name}.cpp", project / f"{name}_test.cpp"]
    gxx = find_gxx()
    flags = [*CSIM_FLAGS, f"-I{ap_types_include()}", f"-iquote{project / 'firmware'}", f"-iquote{project}"]
    digest = hashlib.sha256("\0".join([gxx, *CSIM_FLAGS]).encode())
    for path in sorted(project.joinpath("firmware").rglob("*.h")) + sources:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            raise CsimError(f"{project}: {path.relative_to(project)} is not a regular file; re-export the project")
        digest.update(path.relative_to(project).as_posix().encode() + b"\0" + path.read_bytes())
    target = cache_dir() / f"csim-{name}-{digest.hexdigest()[:20]}"
    if target.exists():
        return target, 0.0, True
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="l1emu-csim-") as tmp:
        objects = [Path(tmp) / f"{k}.o" for k in range(len(sources))]
        commands = [[gxx, *flags, "-c", str(src), "-o", str(obj)] for src, obj in zip(sources, objects, strict=True)]
        for batch in (commands[i : i + max(1, jobs)] for i in range(0, len(commands), max(1, jobs))):
            procs = [subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True) for cmd in batch]
            for cmd, proc in zip(batch, procs, strict=True):
                _, err = proc.communicate()
                if proc.returncode != 0:
                    raise CsimError(f"{project}: g++ failed on {cmd[-3]} (exit {proc.returncode}):\n{err[-4000:]}")
        out = Path(tmp) / name
        link = subprocess.run([gxx, *map(str, objects), "-o", str(out)], capture_output=True, text=True)
        if link.returncode != 0:
            raise CsimError(f"{project}: linking the testbench failed:\n{link.stderr[-4000:]}")
        partial = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        shutil.copyfile(out, partial)
        partial.chmod(0o755)
        partial.replace(target)
    return target, time.perf_counter() - start, False


def load_project(project: str | Path) -> Project:
    """A project checked for a C simulation: manifest, description, and code as l1emu writes it."""
    loaded = read_project(project)
    check_sources(loaded)
    return loaded


def load_project_model(project: str | Path) -> ModelDescription:
    """The model description a project was written from (verified: see :func:`load_project`)."""
    return load_project(project).model


def random_inputs(model: ModelDescription, n: int, seed: int = 0) -> NDArray[np.float64]:
    """``n`` inputs covering the input type: in range, on its edges, and far outside it (saturate/wrap)."""
    rng = np.random.default_rng(seed)
    t = model.input_t
    lo, hi = t.min, t.max
    span = max(hi - lo, t.lsb)
    x = rng.uniform(lo, hi, (n, model.n_inputs))
    kind = rng.integers(0, 10, (n, model.n_inputs))
    x = np.where(kind == 0, rng.uniform(lo - 4 * span, hi + 4 * span, x.shape), x)  # outside the range
    x = np.where(kind == 1, rng.choice([lo, hi, 0.0, lo - t.lsb, hi + t.lsb, t.lsb / 2], x.shape), x)  # edges
    x = np.where(kind == 2, rng.normal(0.0, span / 8, x.shape), x)  # near zero, fine steps
    return x


def run_csim(project: str | Path, x: ArrayLike | None = None, *, limit: int = 5) -> CsimReport:
    """Run the compiled testbench on ``x`` (default: the project's tb_data) and compare with the emulator."""
    project = Path(project)
    _project_name(project)  # a clear error for a directory that is not a project
    model = load_project(project).model
    exe, seconds, cached = build_testbench(project)
    if x is None:
        tb = project / "tb_data" / "tb_input_features.dat"
        if not tb.is_file():
            raise CsimError(f"{project}: no tb_data/tb_input_features.dat; give inputs (--n N)")
        inputs = np.array([[float.fromhex(v) for v in line.split()] for line in tb.read_text().splitlines() if line])
    else:
        inputs = np.asarray(x, dtype=np.float64)
    inputs = inputs.reshape(-1, model.n_inputs)
    with tempfile.TemporaryDirectory(prefix="l1emu-csim-run-") as tmp:
        fin, fout = Path(tmp) / "in.dat", Path(tmp) / "out.dat"
        fin.write_text(format_inputs(inputs))
        proc = subprocess.run([str(exe), str(fin), "-", str(fout)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise CsimError(f"{project}: testbench failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
        got_lines = fout.read_text().splitlines()
    got = np.array([[int(v) for v in line.split()] for line in got_lines], dtype=np.int64)
    want = _raw_words(run_fixed(model, inputs).to_python_ints())
    if got.shape != want.shape:
        raise CsimError(f"{project}: testbench wrote {got.shape} outputs, expected {want.shape}")
    bad = np.argwhere(got != want)
    first = tuple(
        f"sample {i} output {j}: C++ raw {got[i, j]}, emulator raw {want[i, j]} (input {inputs[i].tolist()})"
        for i, j in bad[:limit].tolist()
    )
    values = model.output_t.from_raw(got).to_float()  # W <= 63: the printed word is the raw integer
    return CsimReport(project, int(got.shape[0]), int(got.size), len(bad), first, seconds, cached, values)


def _raw_words(raw: NDArray[Any]) -> NDArray[np.int64]:
    """Raw outputs as the testbench prints them (signed 64-bit: the raw integer itself for W <= 63)."""
    return np.array(raw.tolist(), dtype=np.int64).reshape(raw.shape)


def csim_model(
    model: ModelDescription,
    n: int = 10_000,
    *,
    directory: str | Path | None = None,
    seed: int = 0,
    x: ArrayLike | None = None,
) -> CsimReport:
    """Write ``model`` as a project (in ``directory`` or a temporary one), build it, compare ``n`` inputs."""
    inputs = random_inputs(model, n, seed) if x is None else np.asarray(x, dtype=np.float64)
    if directory is not None:
        project = write_project(model, directory, tb_inputs=inputs[:100], force=True)
        return run_csim(project, inputs)
    with tempfile.TemporaryDirectory(prefix="l1emu-prj-") as tmp:
        project = write_project(model, Path(tmp) / "prj", tb_inputs=inputs[:100])
        return run_csim(project, inputs)
