"""A :class:`ModelDescription` as plain JSON plus named numeric arrays, and back: no pickle, no code.

:func:`to_json` turns a description into a JSON-ready document (types by their C++ spelling,
enums by their value, scalars as numbers) and a dict of numeric arrays (trained weights as
float64, raw integer words as int64); every array is referenced from the document by its path,
e.g. ``layers[0].weights_raw``.  :func:`from_json` checks everything a crafted file could get
wrong (keys, types, spellings, shapes, dtypes, derived raw words) and rebuilds the description
through the layers' own constructors, so what it returns is as valid as what was saved.
:func:`arrays_to_npz` / :func:`arrays_from_npz` store the arrays in an ``.npz`` read with
``allow_pickle=False``; :func:`save_description` / :func:`load_description` keep a description as
``STEM.json`` + ``STEM.npz`` in a directory (how algorithms ship theirs).  The codec reads the
layer dataclasses' fields, so a new layer class only needs its entry in :data:`LAYER_CLASSES`.

>>> from trigger.fixed import FixedType
>>> from trigger.nn.layers import SumLayer, describe
>>> t = FixedType.from_string("ap_ufixed<11,10,AP_TRN,AP_SAT>")
>>> doc, arrays = to_json(describe("ht", t, [SumLayer("ht", 4, t, FixedType.ap_uint(13))]))
>>> doc["layers"][0]
{'name': 'ht', 'n': 4, 'input_t': 'ap_ufixed<11,10,AP_TRN,AP_SAT>', 'result_t': 'ap_uint<13>', 'kind': 'sum'}
>>> str(from_json(doc, arrays).layers[0].sum_t)
'ap_ufixed<13,12>'
"""

from __future__ import annotations

import dataclasses
import enum
import io
import json
import math
import re
import types
import typing
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trigger.errors import L1EmuError, ModelError
from trigger.fixed import FixedType
from trigger.fixed.engine import as_object
from trigger.nn.layers import (
    ActivationLayer,
    DenseLayer,
    ModelDescription,
    QuantizeLayer,
    ScaleLayer,
    SquareErrorLayer,
    SquareSumLayer,
    SumLayer,
)

__all__ = [
    "LAYER_CLASSES",
    "MAX_ARRAY_BYTES",
    "arrays_from_npz",
    "arrays_to_npz",
    "from_json",
    "load_description",
    "save_description",
    "to_json",
]

#: layer classes by their ``kind``: the only classes a document can name
LAYER_CLASSES: dict[str, type] = {
    cls.kind: cls
    for cls in (DenseLayer, ActivationLayer, ScaleLayer, SumLayer, SquareSumLayer, SquareErrorLayer, QuantizeLayer)
}
#: largest array member an ``.npz`` may hold (uncompressed), so a crafted file cannot exhaust memory
MAX_ARRAY_BYTES = 1 << 30
_KEY = re.compile(r"[A-Za-z0-9_.\[\]]{1,200}")


# ------------------------------------------------------------------------------------- encode
def _storable(value: NDArray[Any], path: str) -> NDArray[Any]:
    if value.dtype.kind == "f":
        return value.astype(np.float64)
    if value.dtype.kind in "iu" and value.dtype != np.uint64:
        return value.astype(np.int64)
    ints = as_object(value.astype(object) if value.dtype.kind == "u" else value).reshape(-1).tolist()
    if all(-(2**63) <= v < 2**63 for v in ints):
        return np.array(ints, dtype=np.int64).reshape(value.shape)
    if all(0 <= v < 2**64 for v in ints):
        return np.array(ints, dtype=np.uint64).reshape(value.shape)
    raise ModelError(f"{path}: raw words wider than 64 bits cannot be stored; use a type of at most 64 bits")


def _encode(value: Any, path: str, arrays: dict[str, NDArray[Any]]) -> Any:
    if isinstance(value, FixedType):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, np.ndarray):
        arrays[path] = _storable(value, path)
        return {"array": path, "shape": list(value.shape)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name), f"{path}.{f.name}", arrays) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_encode(v, f"{path}[{i}]", arrays) for i, v in enumerate(value)]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise ModelError(f"{path}: cannot store {type(value).__name__} {value!r} in a model description")


def to_json(model: ModelDescription) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
    """The JSON-ready document of ``model`` and the arrays it references (by path)."""
    arrays: dict[str, NDArray[Any]] = {}
    doc = {f.name: _encode(getattr(model, f.name), f.name, arrays) for f in dataclasses.fields(model)}
    return doc, arrays


# ------------------------------------------------------------------------------------- decode
def _field_names(cls: Any) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def _has_default(f: dataclasses.Field[Any]) -> bool:
    """A field added later with a default may be absent from descriptions written before it."""
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


def _matches(cls: Any, keys: set[str]) -> bool:
    required = {f.name for f in dataclasses.fields(cls) if not _has_default(f)}
    return required <= keys <= _field_names(cls)


class _Reader:
    """Decodes one document against the dataclass field types, naming the path of every error."""

    def __init__(self, arrays: Mapping[str, NDArray[Any]], source: str) -> None:
        self.arrays, self.source, self.used = arrays, source, set[str]()

    def fail(self, path: str, what: str) -> ModelError:
        return ModelError(f"{self.source}: {path}: {what}")

    def value(self, hint: Any, raw: Any, path: str) -> Any:
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(hint) if a is not type(None)]
            if raw is None and len(options) < len(typing.get_args(hint)):
                return None
            if len(options) > 1 and isinstance(raw, dict):  # dataclasses told apart by their field names
                classes = [o for o in options if dataclasses.is_dataclass(o)]
                exact = [o for o in classes if _field_names(o) == set(raw)]
                options = exact or [o for o in classes if _matches(o, set(raw))]
            if len(options) != 1:
                raise self.fail(path, "unsupported field type")  # pragma: no cover - layer classes are known
            return self.value(options[0], raw, path)
        if origin is np.ndarray:
            return self.array(hint, raw, path)
        if hint is FixedType:
            if not isinstance(raw, str):
                raise self.fail(path, f"expected a type spelling such as 'ap_fixed<16,6>', got {raw!r}")
            try:
                return FixedType.from_string(raw)
            except L1EmuError as exc:
                raise self.fail(path, str(exc)) from None
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            allowed = [m.value for m in hint]
            if raw not in allowed:
                raise self.fail(path, f"expected one of {allowed}, got {raw!r}")
            return hint(raw)
        if hint is int:
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise self.fail(path, f"expected an integer, got {raw!r}")
            return raw
        if hint is bool:
            if not isinstance(raw, bool):
                raise self.fail(path, f"expected true or false, got {raw!r}")
            return raw
        if hint is str:
            if not isinstance(raw, str):
                raise self.fail(path, f"expected a string, got {raw!r}")
            return raw
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            return self.dataclass(hint, raw, path)
        raise self.fail(path, f"unsupported field type {hint!r}")  # pragma: no cover - layer classes are known

    def array(self, hint: Any, raw: Any, path: str) -> NDArray[Any]:
        if not isinstance(raw, dict) or set(raw) != {"array", "shape"}:
            raise self.fail(path, f"expected {{'array': {path!r}, 'shape': [...]}}, got {raw!r}")
        if raw["array"] != path:
            raise self.fail(path, f"array reference must be {path!r}, got {raw['array']!r}")
        shape = raw["shape"]
        if not isinstance(shape, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in shape):
            raise self.fail(path, f"shape must be a list of integers, got {shape!r}")
        if path not in self.arrays:
            raise self.fail(path, "the array file has no such array")
        arr = np.asarray(self.arrays[path])
        self.used.add(path)
        if list(arr.shape) != shape:
            raise self.fail(path, f"array has shape {list(arr.shape)}, the description says {shape}")
        dtype_args = typing.get_args(typing.get_args(hint)[-1])
        want_float = bool(dtype_args) and dtype_args[0] is np.float64
        if arr.dtype.kind not in ("f" if want_float else "iu"):
            raise self.fail(path, f"expected {'float' if want_float else 'integer'} values, got dtype {arr.dtype}")
        return arr.astype(np.float64) if want_float else arr

    def dataclass(self, cls: type, raw: Any, path: str) -> Any:
        if not isinstance(raw, dict):
            raise self.fail(path, f"expected an object, got {type(raw).__name__}")
        fields = {f.name: f for f in dataclasses.fields(cls) if f.name in raw or not _has_default(f)}
        unknown, missing = sorted(set(raw) - _field_names(cls)), sorted(set(fields) - set(raw))
        if unknown or missing:
            raise self.fail(path, f"{cls.__name__} keys: unknown {unknown}, missing {missing}")
        hints = typing.get_type_hints(cls)
        values = {name: self.value(hints[name], raw[name], f"{path}.{name}") for name in fields}
        try:
            obj = cls(**{name: values[name] for name, f in fields.items() if f.init})
        except L1EmuError as exc:
            raise self.fail(path, str(exc)) from None
        for name, f in fields.items():  # derived fields (raw words): must be what the constructor derives
            if not f.init and not _same(getattr(obj, name), values[name]):
                raise self.fail(f"{path}.{name}", "stored raw words differ from the ones the layer derives")
        return obj


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return bool(a.shape == np.shape(b) and as_object(np.asarray(a)).tolist() == as_object(np.asarray(b)).tolist())
    return bool(a == b)


def from_json(doc: Any, arrays: Mapping[str, NDArray[Any]], *, source: str = "model description") -> ModelDescription:
    """The description :func:`to_json` made (``source`` names the file in errors)."""
    reader = _Reader(arrays, source)
    if not isinstance(doc, dict):
        raise reader.fail("model", f"expected an object, got {type(doc).__name__}")
    layers_raw = doc.get("layers")
    if not isinstance(layers_raw, list) or not layers_raw:
        raise reader.fail("layers", "expected a non-empty list of layers")
    layers = []
    for i, layer in enumerate(layers_raw):
        kind = layer.get("kind") if isinstance(layer, dict) else None
        if kind not in LAYER_CLASSES:
            raise reader.fail(f"layers[{i}].kind", f"expected one of {sorted(LAYER_CLASSES)}, got {kind!r}")
        layers.append(reader.dataclass(LAYER_CLASSES[kind], layer, f"layers[{i}]"))
    fields = {f.name for f in dataclasses.fields(ModelDescription)}
    unknown, missing = sorted(set(doc) - fields), sorted(fields - set(doc))
    if unknown or missing:
        raise reader.fail("model", f"keys: unknown {unknown}, missing {missing}")
    hints = typing.get_type_hints(ModelDescription)
    values = {k: reader.value(hints[k], doc[k], k) for k in fields if k != "layers"}
    extra = sorted(set(arrays) - reader.used)
    if extra:
        raise reader.fail("arrays", f"arrays no layer references: {extra[:5]}")
    try:
        return ModelDescription(layers=tuple(layers), **values)
    except L1EmuError as exc:
        raise reader.fail("model", str(exc)) from None


# ------------------------------------------------------------------------------------- npz
def arrays_to_npz(arrays: Mapping[str, NDArray[Any]]) -> bytes:
    """The arrays as ``.npz`` bytes (numpy's format, no pickled objects; fixed timestamps: same input, same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, value in arrays.items():
            if value.dtype.kind not in "iuf":
                raise ModelError(f"array {key}: dtype {value.dtype} cannot be stored (numbers only)")
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(value), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0)), member.getvalue())
    return buffer.getvalue()


def arrays_from_npz(data: bytes, *, source: str = "arrays") -> dict[str, NDArray[Any]]:
    """Arrays from ``.npz`` bytes: numbers only (``allow_pickle=False``), each member bounded in size."""
    out: dict[str, NDArray[Any]] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                key = info.filename.removesuffix(".npy")
                if not info.filename.endswith(".npy") or not _KEY.fullmatch(key):
                    raise ModelError(f"{source}: unexpected member {info.filename!r} (expected <path>.npy)")
                if info.file_size > MAX_ARRAY_BYTES:
                    raise ModelError(f"{source}: member {info.filename!r} is larger than {MAX_ARRAY_BYTES} bytes")
                with zf.open(info) as fh:
                    arr = np.lib.format.read_array(fh, allow_pickle=False)
                if arr.dtype.kind not in "iuf" or arr.dtype.fields is not None:
                    raise ModelError(f"{source}: array {key!r} has dtype {arr.dtype}; only numbers are accepted")
                out[key] = arr
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        if isinstance(exc, ModelError):
            raise
        raise ModelError(f"{source}: not a readable numpy .npz of numbers ({exc})") from None
    return out


def save_description(model: ModelDescription, directory: Path, stem: str) -> None:
    """``directory/STEM.json`` and ``directory/STEM.npz``."""
    doc, arrays = to_json(model)
    (directory / f"{stem}.json").write_text(json.dumps(doc, indent=1) + "\n")
    (directory / f"{stem}.npz").write_bytes(arrays_to_npz(arrays))


def load_description(directory: Path, stem: str, remedy: str) -> ModelDescription:
    """The description :func:`save_description` wrote; a missing file names ``remedy`` (what writes it)."""
    doc_path, npz_path = directory / f"{stem}.json", directory / f"{stem}.npz"
    for path in (doc_path, npz_path):
        if not path.is_file():
            raise ModelError(f"{path}: no such file; {remedy} writes it")
    try:
        doc = json.loads(doc_path.read_text())
    except json.JSONDecodeError as exc:
        raise ModelError(f"{doc_path}: not JSON ({exc})") from None
    return from_json(doc, arrays_from_npz(npz_path.read_bytes(), source=str(npz_path)), source=str(doc_path))
