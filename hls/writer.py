"""Write an HLS project for a :class:`~trigger.nn.ModelDescription`: C++, weights, testbench, Tcl.

Everything is rendered with jinja2 from ``hls/templates/project``: per layer kind a template for
its config struct and one for its call (which ones, and which header, is the kind's entry in
:data:`hls.kinds.KINDS`), plus the top function, ``parameters.h``, the constant arrays (raw
words, :mod:`hls.carrays`), the testbench, ``build_prj.tcl`` and a README.  Type spellings come
only from ``str(FixedType)``.  Only the layer headers the model uses are copied from ``hls/cpp``
(into ``firmware/l1t_utils``, namespace ``l1t``).  The description itself is stored as JSON plus
an ``.npz`` of numbers, with a sha256 manifest of every file (:mod:`hls.project`).

The project is written into a temporary directory next to the target and renamed into place, so
a failed export never leaves half a project; an existing directory is replaced only with
``force=True``, and only if it is an l1emu project (:func:`hls.project.is_project`) or empty.
:func:`check_sources` tells whether a project's code is exactly what this writer renders from
its description: what the C simulation compiles is then only code l1emu generated.

>>> # write_project(model, "build/jet_tagger")  # -> Path("build/jet_tagger")
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hls.carrays import CArray, CTable
from hls.kinds import COMMON_HEADER, HLSKind, hls_kind, kind_name
from hls.project import (
    ARRAYS_FILE,
    DEFAULT_CLOCK_NS,
    DEFAULT_PART,
    MANIFEST_FILE,
    PROJECT_FILE,
    Project,
    ProjectOptions,
    encode_project,
    is_project,
    manifest,
)
from hls.templating import environment
from trigger.errors import CsimError, ModelError, OutputError, ProjectExistsError
from trigger.fixed import FixedType
from trigger.nn.emulate import run_fixed
from trigger.nn.layers import DenseLayer, IOType, ModelDescription, SquareErrorLayer, Strategy
from trigger.outputs import current_umask, probe_writable

__all__ = [
    "CPP_DIR",
    "DEFAULT_CLOCK_NS",
    "DEFAULT_PART",
    "HEADER_DIR",
    "ProjectOptions",
    "check_sources",
    "check_target",
    "project_name",
    "render_project",
    "used_headers",
    "write_project",
]

CPP_DIR = Path(__file__).parent / "cpp"
#: where a project keeps the layer headers (beside, not inside, hls4ml's nnet_utils)
HEADER_DIR = "firmware/l1t_utils"
_ENV = environment("project")


@dataclass
class _LayerView:
    """One layer prepared for the templates."""

    index: int
    name: str
    cname: str
    kind: str  # a key of hls.kinds.KINDS
    entry: HLSKind
    n_in: int
    n_out: int
    in_type: str  # typedef name of the input
    out_type: str  # typedef name of the output
    result_t: FixedType
    layer: Any
    arrays: list[CArray] = field(default_factory=list)
    tables: list[CTable] = field(default_factory=list)
    #: a square error's other operand: the C++ array and typedef of the earlier output it reads ("" for the input)
    ref_var: str = ""
    ref_type: str = ""

    @property
    def template(self) -> str:
        return self.entry.template

    @property
    def config(self) -> str:
        return f"config_{self.cname}"

    @property
    def in_pack(self) -> str:
        """io_stream token type of the input (``l1t::array`` of ``in_type``)."""
        return f"{self.in_type.removesuffix('_t')}_pack_t"

    @property
    def out_pack(self) -> str:
        return f"{self.out_type.removesuffix('_t')}_pack_t"


def _identifier(name: str, taken: set[str]) -> str:
    ident = re.sub(r"[^A-Za-z0-9_]", "_", name) or "layer"  # ASCII: what every C++ compiler and the manifest take
    if ident[0].isdigit():
        ident = f"l_{ident}"
    base, n = ident, 1
    while ident in taken:
        n += 1
        ident = f"{base}_{n}"
    taken.add(ident)
    return ident


def layer_views(model: ModelDescription) -> list[_LayerView]:
    """The model's layers with C++ names, typedefs, arrays and tables."""
    taken = {"input", "result", "l1t", "input_t", "result_t"}
    views: list[_LayerView] = []
    in_type, n_in = "input_t", model.n_inputs
    for index, layer in enumerate(model.layers, start=1):
        cname = _identifier(layer.name, taken)
        entry = hls_kind(layer)
        last = index == len(model.layers)
        out_type = "result_t" if last else f"{cname}_t"
        view = _LayerView(
            index,
            layer.name,
            cname,
            kind_name(layer),
            entry,
            n_in,
            layer.n_out,
            in_type,
            out_type,
            layer.result_t,
            layer,
        )
        arrays, tables = entry.constants(layer, cname, view.config)
        view.arrays, view.tables = [*arrays, *(t.array for t in tables)], tables
        if isinstance(layer, SquareErrorLayer):
            ref = next((v for v in views if v.name == layer.reference), None)  # ModelDescription checked it
            view.ref_var, view.ref_type = (f"{ref.cname}_out", ref.out_type) if ref else ("", "input_t")
        views.append(view)
        in_type, n_in = view.out_type, layer.n_out
    return views


def used_headers(model: ModelDescription) -> list[str]:
    """Layer-library headers the model needs (``l1t_common.h`` always)."""
    return [COMMON_HEADER, *sorted({hls_kind(la).header for la in model.layers})]


def project_name(model: ModelDescription, options: ProjectOptions) -> str:
    """The project's C++ name: ``options.project_name`` or the model's name, as an identifier."""
    return _identifier(options.project_name or model.name, set())


def _render(template: str, **context: Any) -> str:
    return _ENV.get_template(template).render(**context)


def render_project(
    model: ModelDescription, options: ProjectOptions, tb_inputs: NDArray[np.float64] | None = None
) -> dict[str, str]:
    """All text files of the project, keyed by relative path (not the headers, description and manifest)."""
    name = project_name(model, options)
    views = layer_views(model)
    stream = model.io_type is IOType.STREAM
    resource = any(isinstance(v.layer, DenseLayer) and v.layer.strategy is Strategy.RESOURCE for v in views)
    max_rf = max([v.layer.reuse_factor for v in views if isinstance(v.layer, DenseLayer)], default=1)
    if stream and any(isinstance(v.layer, SquareErrorLayer) for v in views):
        raise ModelError(
            f"model {model.name}: a square error (it reads an earlier layer's output) has no io_stream form yet "
            "(the reference stream would need a clone); use IOType io_parallel"
        )
    if model.output_t.width > 63:
        raise ModelError(f"model output type {model.output_t} is wider than 63 bits; the testbench reads 64-bit words")
    ctx: dict[str, Any] = {
        "name": name,
        "model": model,
        "views": views,
        "stream": stream,
        "resource": resource,
        "max_rf": max_rf,
        "headers": used_headers(model),
        "options": options,
        "input_t": model.input_t,
        "result_t": model.output_t,
        "result_raw_t": FixedType.ap_int(model.output_t.width)
        if model.output_t.signed
        else FixedType.ap_uint(model.output_t.width),
        "n_in": model.n_inputs,
        "n_out": model.n_outputs,
    }
    files = {
        f"firmware/{name}.h": _render("firmware/top.h.j2", **ctx),
        f"firmware/{name}.cpp": _render("firmware/top.cpp.j2", **ctx),
        "firmware/defines.h": _render("firmware/defines.h.j2", **ctx),
        "firmware/parameters.h": _render("firmware/parameters.h.j2", **ctx),
        f"{name}_test.cpp": _render("tb.cpp.j2", **ctx),
        "build_prj.tcl": _render("build_prj.tcl.j2", **ctx),
        "vivado_synth.tcl": _render("vivado_synth.tcl.j2", **ctx),
        "README.md": _render("README.md.j2", header_dir=HEADER_DIR, manifest_file=MANIFEST_FILE, **ctx),
    }
    for view in views:
        for array in view.arrays:
            files[f"firmware/weights/{array.name}.h"] = _render("firmware/array.h.j2", array=array)
    if tb_inputs is not None:
        files["tb_data/tb_input_features.dat"] = format_inputs(tb_inputs)
        files["tb_data/tb_output_predictions.dat"] = format_raw(run_fixed(model, tb_inputs).to_python_ints())
    return files


def format_inputs(x: NDArray[np.float64]) -> str:
    """One sample per line, exact hex floats (``strtod`` reads them back bit for bit)."""
    return "".join(" ".join(float(v).hex() for v in row) + "\n" for row in np.asarray(x, dtype=np.float64).tolist())


def format_raw(raw: NDArray[Any]) -> str:
    """One sample per line of raw output integers."""
    return "".join(" ".join(str(int(v)) for v in row) + "\n" for row in raw.tolist())


def check_target(directory: str | Path, force: bool) -> None:
    """Raise :class:`ProjectExistsError` unless a project may be written to ``directory``.

    A new path is fine (if its parent is writable); an existing one only with ``force``, and only if it
    is an l1emu project (:func:`hls.project.is_project`) or an empty directory: anything else is left untouched.
    """
    if str(directory).strip() == "":
        raise OutputError("the project directory is empty (''); give -o DIR")
    target = Path(directory)
    probe_writable(target, "project directory", beside=True)
    if not (target.exists() or target.is_symlink()):
        return
    if not force:
        raise ProjectExistsError(f"{target} already exists; choose another directory or pass force=True (--force)")
    replaceable = target.is_dir() and not target.is_symlink() and (is_project(target) or not any(target.iterdir()))
    if not replaceable:
        raise ProjectExistsError(
            f"{target} exists and is not an l1emu HLS project (no valid {MANIFEST_FILE} and {PROJECT_FILE}); "
            "--force only replaces "
            "projects written by l1emu: choose another directory or remove it yourself"
        )


def write_project(
    model: ModelDescription,
    directory: str | Path,
    *,
    options: ProjectOptions | None = None,
    tb_inputs: ArrayLike | None = None,
    force: bool = False,
) -> Path:
    """Write the project atomically into ``directory`` (replacing it only as :func:`check_target` allows)."""
    target = Path(directory)
    check_target(target, force)
    opts = options or ProjectOptions()
    x = None if tb_inputs is None else np.asarray(tb_inputs, dtype=np.float64)
    files: dict[str, bytes] = {rel: text.encode() for rel, text in render_project(model, opts, x).items()}
    files.update(encode_project(model, opts, project_name(model, opts)))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        tmp.chmod(0o777 & ~current_umask())  # mkdtemp makes it 0700; a project is as readable as any output
    except OSError as exc:
        raise OutputError(f"cannot write the project {target}: {exc.strerror or exc}") from None
    try:
        for rel, data in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        headers = tmp / HEADER_DIR
        headers.mkdir(parents=True)
        for header in used_headers(model):
            shutil.copyfile(CPP_DIR / header, headers / header)
            files[f"{HEADER_DIR}/{header}"] = (headers / header).read_bytes()
        (tmp / MANIFEST_FILE).write_bytes(manifest(files))
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            old.rmdir()
            target.rename(old)
            try:
                tmp.rename(target)
            except BaseException:
                old.rename(target)  # the previous project back in place
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write the project {target}: {exc.strerror or exc}") from None
        raise
    return target


def check_sources(project: Project) -> None:
    """Raise :class:`CsimError` unless the project's code is exactly what this writer renders from its description.

    Every rendered file (C++, testbench, Tcl, README) and every layer header must be present with
    the same bytes, and the manifest may list nothing else besides the description, the arrays and
    the testbench data: the C simulation then compiles only code l1emu generated.
    """
    expected = {rel: text.encode() for rel, text in render_project(project.model, project.options).items()}
    for header in used_headers(project.model):
        expected[f"{HEADER_DIR}/{header}"] = (CPP_DIR / header).read_bytes()
    for rel, data in expected.items():
        if rel not in project.files:
            raise CsimError(f"{project.directory}: {rel} is missing from the manifest; re-export the project")
        if (project.directory / rel).read_bytes() != data:
            raise CsimError(
                f"{project.directory}: {rel} is not what this l1emu writes for the project's description "
                "(exported by another version, or edited); re-export the project with `l1emu hls export`"
            )
    data_files = {PROJECT_FILE, ARRAYS_FILE, "tb_data/tb_input_features.dat", "tb_data/tb_output_predictions.dat"}
    extra = sorted(set(project.files) - set(expected) - data_files)
    if extra:
        raise CsimError(f"{project.directory}: {extra[0]} was not written by l1emu for this description; re-export")
