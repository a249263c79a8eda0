"""Small helpers for schema-validated YAML (the pyhf pattern): every error names the file, the key path
(``seeds.L1_DoubleMu_15_7.legs[1].min_pt``) and what was expected.

>>> v = Validator("menu.yaml")
>>> v.number({"min_pt": "x"}, "min_pt", "seeds.A.legs[0]")
Traceback (most recent call last):
...
trigger.errors.ConfigError: menu.yaml: seeds.A.legs[0].min_pt: expected a number, got 'x'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from trigger.errors import ConfigError
from trigger.names import suggest

__all__ = ["Validator", "join", "load_yaml"]


def join(path: str, key: str | int) -> str:
    """``join("seeds.A", "legs") -> "seeds.A.legs"``; ``join("legs", 1) -> "legs[1]"``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def load_yaml(path: str | Path) -> tuple[Any, str]:
    """Read a YAML file with ``yaml.safe_load``; a missing or malformed file is a :class:`ConfigError`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror or exc}") from None
    try:
        return yaml.safe_load(text), str(p)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{p}:{where}: malformed YAML: {problem}") from None


class Validator:
    """Typed look-ups in a parsed YAML tree that raise :class:`ConfigError` with file and key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, expected: str, got: Any) -> ConfigError:
        return ConfigError(f"{self.source}: {path}: expected {expected}, got {got!r}")

    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path or "top level", "a mapping (key: value)", value)
        return value

    def keys(self, value: Mapping[str, Any], path: str, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
        allowed = set(allowed)
        for key in value:
            if key not in allowed:
                raise ConfigError(
                    f"{self.source}: {join(path, str(key))}: unknown key{suggest(str(key), allowed)} "
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
    ) -> float:
        if key not in d:
            if default is None:
                raise ConfigError(f"{self.source}: {join(path, key)}: required key is missing")
            return default
        value = d[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise self.fail(join(path, key), "a number", value)
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
    ) -> int:
        if key not in d:
            if default is None:
                raise ConfigError(f"{self.source}: {join(path, key)}: required key is missing")
            return default
        value = d[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(join(path, key), "an integer", value)
        if minimum is not None and value < minimum:
            raise self.fail(join(path, key), f"an integer >= {minimum}", value)
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
