"""Small helpers for schema-validated YAML (the pyhf pattern): every error names the file, the key path
(``seeds.L1_DoubleMu_15_7.legs[1].min_pt``), what was expected and, for a misspelt key, the nearest valid
ones. Menus, reader schemas, HLS configs, the sample list and the sample format all validate through
:class:`Validator`, so their errors read the same.

>>> v = Validator("menu.yaml")
>>> v.number({"min_pt": "x"}, "min_pt", "seeds.A.legs[0]")
Traceback (most recent call last):
...
trigger.errors.ConfigError: menu.yaml: seeds.A.legs[0].min_pt: expected a number, got 'x'

An unquoted type inside flow YAML is cut at its comma: ``{Precision: ap_fixed<16,6>}`` reads as
``{Precision: 'ap_fixed<16', '6>': None}``. :meth:`Validator.document` says so before anything else:

>>> Validator("hls.yaml").document({"Model": {"Precision": "ap_fixed<16", "6>": None}})
Traceback (most recent call last):
...
trigger.errors.ConfigError: hls.yaml: Model.Precision: 'ap_fixed<16' is a type cut at its comma: inside \
{...} or [...] YAML splits an unquoted ap_fixed<16,6> at the comma; quote it: Precision: 'ap_fixed<16,6>'
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from trigger.errors import ConfigError
from trigger.names import suggest

__all__ = ["UniqueKeyLoader", "Validator", "join", "load_yaml", "read_config_text"]


def join(path: str, key: str | int) -> str:
    """``join("seeds.A", "legs") -> "seeds.A.legs"``; ``join("legs", 1) -> "legs[1]"``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


#: the head of an ``ap_fixed<...>``/``ap_int<...>`` spelling that YAML cut at a comma (no closing ``>``)
_CUT_TYPE = re.compile(r"\s*ap_u?(fixed|int)\s*<[^>]*")


def _cut_type(value: Any) -> bool:
    return isinstance(value, str) and _CUT_TYPE.fullmatch(value) is not None


def _rejoin(head: str, rest: Iterable[Any]) -> str:
    """The spelling the user meant: the cut head and the following fragments up to the one closing ``>``."""
    parts = [head.strip()]
    for piece in rest:
        parts.append(str(piece).strip())
        if parts[-1].endswith(">"):
            break
    return ",".join(parts)


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, first: int, again: int) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key, self.first, self.again = key, first, again


class UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` (no tags that build objects) that refuses a key given twice in one mapping.

    Plain PyYAML keeps the last value silently: two seeds of the same name, or ``min_pt`` given twice,
    would run a menu the user did not write. Keys merged in with ``<<:`` may still be overridden.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: the base class says so
                break
            if first is not None:
                raise _DuplicateKey(key, first, key_node.start_mark.line + 1)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def read_config_text(path: str | Path, kind: str = "YAML", what: str = "") -> str:
    """The UTF-8 text of a configuration file; a directory or an unreadable file is a :class:`ConfigError`
    naming it (``what`` prefixes the path, e.g. "prescale table")."""
    p = Path(path)
    name = f"{what} {p}" if what else str(p)
    if p.is_dir():
        raise ConfigError(f"{name}: is a directory, not a {kind} file")
    try:
        return p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"{name}: cannot read: {why}") from None


def load_yaml(path: str | Path) -> tuple[Any, str]:
    """Read a YAML file with a ``yaml.safe_load`` loader that also refuses duplicate keys; a missing or
    malformed file is a :class:`ConfigError` naming the line(s)."""
    p = Path(path)
    text = read_config_text(p)
    try:
        return yaml.load(text, Loader=UniqueKeyLoader), str(p)  # a SafeLoader subclass: safe loading only
    except _DuplicateKey as exc:
        raise ConfigError(
            f"{p}: line {exc.again}: duplicate key {exc.key!r} (first given at line {exc.first}); "
            "YAML would silently keep only the last one: remove or rename one of them"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{p}:{where}: malformed YAML: {problem}") from None
    except RecursionError:
        raise ConfigError(f"{p}: YAML nested too deeply") from None


class Validator:
    """Typed look-ups in a parsed YAML tree that raise :class:`ConfigError` with file and key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, expected: str, got: Any) -> ConfigError:
        return ConfigError(f"{self.source}: {path}: expected {expected}, got {got!r}")

    def cut_type(self, path: str, head: str, meant: str, *, is_key: bool = False) -> ConfigError:
        """The error for an unquoted type that flow YAML split at its comma (the same hint everywhere)."""
        key = path.rsplit(".", 1)[-1].split("[")[0] or "key"
        quoted = f"'{meant}': ..." if is_key else (f"'{meant}'" if path.endswith("]") else f"{key}: '{meant}'")
        return ConfigError(
            f"{self.source}: {path or 'top level'}: {head!r} is a type cut at its comma: inside {{...}} or [...] "
            f"YAML splits an unquoted {meant} at the comma; quote it: {quoted}"
        )

    def document(self, data: Any, path: str = "") -> Mapping[str, Any]:
        """The top-level mapping of a parsed file, after :meth:`scan` found no type cut at a comma."""
        self.scan(data, path)
        return self.mapping(data, path)

    def scan(self, value: Any, path: str = "") -> None:
        """Raise :meth:`cut_type` for the first ``'ap_fixed<16'`` fragment anywhere in ``value``."""
        if isinstance(value, Mapping):
            items = list(value.items())
            for i, (key, item) in enumerate(items):
                if _cut_type(item):
                    raise self.cut_type(join(path, str(key)), item, _rejoin(item, (k for k, _ in items[i + 1 :])))
                if _cut_type(key):
                    meant = _rejoin(key, (k for k, _ in items[i + 1 :]))
                    raise self.cut_type(join(path, str(key)), key, meant, is_key=True)
            for key, item in items:
                self.scan(item, join(path, str(key)))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if _cut_type(item):
                    raise self.cut_type(join(path, i), item, _rejoin(item, value[i + 1 :]))
                self.scan(item, join(path, i))

    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path or "top level", "a mapping (key: value)", value)
        return value

    def keys(
        self,
        value: Mapping[str, Any],
        path: str,
        allowed: Iterable[str],
        required: Iterable[str] = (),
        what: str = "key",
    ) -> None:
        """Every key of ``value`` is allowed (else the nearest ones are named) and the required ones are there."""
        allowed = set(allowed)
        for key in value:
            if key not in allowed:
                raise ConfigError(
                    f"{self.source}: {join(path, str(key))}: unknown {what}{suggest(str(key), allowed)} "
                    f"(allowed: {', '.join(sorted(allowed))})"
                )
        for key in required:
            if key not in value:
                raise ConfigError(f"{self.source}: {join(path, key)}: required key is missing")

    def number(
        self,
        d: Mapping[str, Any],
        key: str,
        path: str,
        default: float | None = None,
        minimum: float | None = None,
        *,
        finite: bool = False,
    ) -> float:
        if key not in d:
            if default is None:
                raise ConfigError(f"{self.source}: {join(path, key)}: required key is missing")
            return default
        value = d[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise self.fail(join(path, key), "a number", value)
        if finite and math.isinf(value):
            raise self.fail(join(path, key), "a finite number", value)
        if minimum is not None and value < minimum:
            raise self.fail(join(path, key), f"a number >= {minimum:g}", value)
        return float(value)

    def integer(
        self,
        d: Mapping[str, Any],
        key: str,
        path: str,
        default: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int:
        if key not in d:
            if default is None:
                raise ConfigError(f"{self.source}: {join(path, key)}: required key is missing")
            return default
        value = d[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(join(path, key), "an integer", value)
        if maximum is not None and minimum is not None and not minimum <= value <= maximum:
            raise self.fail(join(path, key), f"an integer in {minimum}..{maximum}", value)
        if minimum is not None and value < minimum:
            raise self.fail(join(path, key), f"an integer >= {minimum}", value)
        if maximum is not None and value > maximum:
            raise self.fail(join(path, key), f"an integer <= {maximum}", value)
        return value

    def string(self, d: Mapping[str, Any], key: str, path: str, default: str | None = None) -> str:
        if key not in d:
            if default is None:
                raise ConfigError(f"{self.source}: {join(path, key)}: required key is missing")
            return default
        value = d[key]
        if not isinstance(value, str) or not value:
            raise self.fail(join(path, key), "a non-empty string", value)
        return value

    def choice(self, d: Mapping[str, Any], key: str, path: str, options: Iterable[str], default: str) -> str:
        """One of ``options`` (compared case-insensitively, returned in its listed spelling)."""
        value = d.get(key, default)
        options = tuple(options)
        match = next((o for o in options if isinstance(value, str) and value.lower() == o.lower()), None)
        if match is None:
            near = suggest(value, options) if isinstance(value, str) else ""
            raise ConfigError(
                f"{self.source}: {join(path, key)}: expected one of {', '.join(options)}, got {value!r}{near}"
            )
        return match

    def boolean(self, d: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        value = d.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(join(path, key), "true or false", value)
        return value

    def int_list(self, d: Mapping[str, Any], key: str, path: str) -> tuple[int, ...] | None:
        if key not in d or d[key] is None:
            return None
        value = d[key]
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise self.fail(join(path, key), "a list of integers", value)
        return tuple(value)

    def items(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list) or not value:
            raise self.fail(path, "a non-empty list", value)
        return value
