"""Write an HLS project for a :class:`~trigger.nn.ModelDescription`: C++, weights, testbench, Tcl.

Everything is rendered with jinja2 from ``hls/templates/project``: one template per layer kind for
its config struct and one for its call, plus the top function, ``parameters.h``, the weights,
the testbench, ``build_prj.tcl`` and a README.  Type spellings come only from
``str(FixedType)``.  Weights and tables are written as their raw integers in plain C integer
arrays and read through ``nnet::from_raw<T>`` (a bit reinterpretation, free in hardware): exact at
any width up to 64 bits, and plain constant data for g++ (5 000 ``ap_fixed`` objects initialised
from hex-float doubles cost g++ over 30 s, which is why the values are not written that way).
Only the layer headers the model uses are copied from ``hls/cpp``.  The project is written into
a temporary directory next to the target and renamed into place, so a failed export never leaves
half a project; an existing directory is replaced only with ``force=True``.

>>> # write_project(model, "build/jet_tagger")  # -> Path("build/jet_tagger")
"""

from __future__ import annotations

import pickle
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hls.templating import environment
from trigger.errors import ModelError, ProjectExistsError
from trigger.fixed import FixedType
from trigger.nn.emulate import run_fixed
from trigger.nn.layers import DenseLayer, IOType, LookupTable, ModelDescription, Strategy

__all__ = ["DEFAULT_CLOCK_NS", "DEFAULT_PART", "MODEL_FILE", "ProjectOptions", "write_project"]

DEFAULT_PART = "xcvu9p-flga2104-2L-e"
DEFAULT_CLOCK_NS = 5.0
#: the pickled ModelDescription inside a project: ``l1emu hls csim DIR`` re-runs the emulator from it
MODEL_FILE = "l1emu_model.pkl"
CPP_DIR = Path(__file__).parent / "cpp"
_HEADERS = {
    "dense": "nnet_dense.h",
    "relu": "nnet_activation.h",
    "linear": "nnet_activation.h",
    "sigmoid": "nnet_table_activation.h",
    "tanh": "nnet_table_activation.h",
    "softmax": "nnet_softmax.h",
}
_ENV = environment("project")


@dataclass(frozen=True)
class ProjectOptions:
    """What the Tcl script targets and what the testbench data holds."""

    part: str = DEFAULT_PART
    clock_ns: float = DEFAULT_CLOCK_NS
    project_name: str | None = None  # default: the model name as a C++ identifier


@dataclass
class _Array:
    """One constant array (weights, bias or table) to write as a header."""

    name: str
    type: FixedType
    raw: NDArray[Any]

    @property
    def size(self) -> int:
        return int(self.raw.size)

    @property
    def word(self) -> str:
        """Smallest C integer type holding the raw bits (plain constant data: nothing to construct)."""
        if self.type.width > 64:
            raise ModelError(
                f"array {self.name} has type {self.type}, wider than 64 bits; use a narrower weight/table precision"
            )
        bits = next(b for b in (8, 16, 32, 64) if self.type.width <= b)
        return f"{'' if self.type.signed else 'u'}int{bits}_t"

    def literals(self) -> list[str]:
        """The raw integers, exactly (two's complement value of each W-bit word)."""
        out = []
        for v in self.raw.reshape(-1).tolist():
            v = int(v)
            if v == -(2**63):
                out.append("(-9223372036854775807LL - 1)")
            elif abs(v) >= 2**31:
                out.append(f"{v}{'LL' if self.type.signed else 'ULL'}")
            else:
                out.append(str(v))
        return out


@dataclass
class _Table:
    """A LookupTable as the C++ sees it: index config struct plus the constant array."""

    config: str
    array: _Array
    in_t: FixedType
    lo_raw: int
    shift: int

    @property
    def raw_t(self) -> FixedType:
        return FixedType.ap_int(self.in_t.width) if self.in_t.signed else FixedType.ap_uint(self.in_t.width)

    @property
    def diff_t(self) -> FixedType:
        return FixedType.ap_int(self.in_t.width + 2)


@dataclass
class _LayerView:
    """One layer prepared for the templates."""

    index: int
    name: str
    cname: str
    kind: str  # dense | relu | linear | sigmoid | tanh | softmax
    n_in: int
    n_out: int
    in_type: str  # typedef name of the input
    out_type: str  # typedef name of the output
    result_t: FixedType
    layer: Any
    arrays: list[_Array] = field(default_factory=list)
    tables: list[_Table] = field(default_factory=list)

    @property
    def template(self) -> str:
        return {"relu": "activation", "linear": "activation", "sigmoid": "table", "tanh": "table"}.get(
            self.kind, self.kind
        )

    @property
    def config(self) -> str:
        return f"config_{self.cname}"

    @property
    def in_pack(self) -> str:
        """io_stream token type of the input (``nnet::array`` of ``in_type``)."""
        return f"{self.in_type.removesuffix('_t')}_pack_t"

    @property
    def out_pack(self) -> str:
        return f"{self.out_type.removesuffix('_t')}_pack_t"


def _identifier(name: str, taken: set[str]) -> str:
    ident = re.sub(r"\W", "_", name) or "layer"
    if ident[0].isdigit():
        ident = f"l_{ident}"
    base, n = ident, 1
    while ident in taken:
        n += 1
        ident = f"{base}_{n}"
    taken.add(ident)
    return ident


def _table(config: str, array_name: str, table: LookupTable) -> _Table:
    if not -(2**62) < table.lo_raw < 2**62 or table.input_t.width > 60:
        raise ModelError(f"table {array_name}: input type {table.input_t} is too wide for a 64-bit index")
    return _Table(config, _Array(array_name, table.table_t, table.values_raw), table.input_t, table.lo_raw, table.shift)


def layer_views(model: ModelDescription) -> list[_LayerView]:
    """The model's layers with C++ names, typedefs, arrays and tables."""
    taken = {"input", "result", "nnet", "input_t", "result_t"}
    views = []
    in_type, n_in = "input_t", model.n_inputs
    for index, layer in enumerate(model.layers, start=1):
        cname = _identifier(layer.name, taken)
        last = index == len(model.layers)
        kind = "dense" if isinstance(layer, DenseLayer) else layer.function
        n_out = layer.n_out if isinstance(layer, DenseLayer) else layer.n
        view = _LayerView(
            index,
            layer.name,
            cname,
            kind,
            n_in,
            n_out,
            in_type,
            "result_t" if last else f"{cname}_t",
            layer.result_t,
            layer,
        )
        if isinstance(layer, DenseLayer):
            view.arrays = [
                _Array(f"w_{cname}", layer.weight_t, layer.weights_raw),
                _Array(f"b_{cname}", layer.bias_t, layer.bias_raw),
            ]
        elif layer.table is not None:
            view.tables = [_table(f"{view.config}_table", f"t_{cname}", layer.table)]
        elif layer.softmax is not None:
            view.tables = [
                _table(f"{view.config}_exp", f"exp_{cname}", layer.softmax.exp),
                _table(f"{view.config}_inv", f"inv_{cname}", layer.softmax.inv),
            ]
        for t in view.tables:
            view.arrays.append(t.array)
        views.append(view)
        in_type, n_in = view.out_type, n_out
    return views


def used_headers(model: ModelDescription) -> list[str]:
    """Layer-library headers the model needs (``nnet_common.h`` always)."""
    kinds = ["dense" if isinstance(la, DenseLayer) else la.function for la in model.layers]
    return ["nnet_common.h", *sorted({_HEADERS[k] for k in kinds})]


def _render(template: str, **context: Any) -> str:
    return _ENV.get_template(template).render(**context)


def render_project(
    model: ModelDescription, options: ProjectOptions, tb_inputs: NDArray[np.float64] | None = None
) -> dict[str, str]:
    """All text files of the project, keyed by relative path."""
    name = _identifier(options.project_name or model.name, set())
    views = layer_views(model)
    stream = model.io_type is IOType.STREAM
    resource = any(isinstance(v.layer, DenseLayer) and v.layer.strategy is Strategy.RESOURCE for v in views)
    max_rf = max([v.layer.reuse_factor for v in views if isinstance(v.layer, DenseLayer)], default=1)
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
        "README.md": _render("README.md.j2", model_file=MODEL_FILE, **ctx),
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


def write_project(
    model: ModelDescription,
    directory: str | Path,
    *,
    options: ProjectOptions | None = None,
    tb_inputs: ArrayLike | None = None,
    force: bool = False,
) -> Path:
    """Write the project atomically into ``directory``; refuse to replace it unless ``force``."""
    target = Path(directory)
    if target.exists() and not force:
        raise ProjectExistsError(f"{target} already exists; choose another directory or pass force=True (--force)")
    x = None if tb_inputs is None else np.asarray(tb_inputs, dtype=np.float64)
    files = render_project(model, options or ProjectOptions(), x)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for rel, text in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        nnet = tmp / "firmware" / "nnet_utils"
        nnet.mkdir(parents=True)
        for header in used_headers(model):
            shutil.copyfile(CPP_DIR / header, nnet / header)
        with open(tmp / MODEL_FILE, "wb") as fh:
            pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target
