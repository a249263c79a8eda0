"""The algorithm-seed interface: a small Protocol, the evaluation mode, and a plugin registry.

An algorithm takes a chunk and returns per-event outputs in float, in fixed point, or both; a seed
cuts on one output. Algorithms are plugins found through the entry-point group ``l1emu.algorithms``
(``importlib.metadata``); each entry point names a factory ``(**options) -> Algorithm``. The built-ins
are registered the same way, in ``pyproject.toml``::

    [project.entry-points."l1emu.algorithms"]
    my_tagger = "my_package.tagger:make"

so adding one edits no file of the framework. Objects beyond an algorithm's fixed input slots are
dropped in pt order by the features stage (:mod:`trigger.features`) and the affected events are
counted in ``AlgorithmOutput.truncated`` (the rate table reports them).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from trigger.errors import ConfigError, UnknownAlgorithmError
from trigger.names import suggest
from trigger.plugins import try_load_group

if TYPE_CHECKING:
    from trigger.io.reader import Chunk, Needs
    from trigger.nn.layers import ModelDescription

__all__ = [
    "ENTRY_POINT_GROUP",
    "Algorithm",
    "AlgorithmOutput",
    "Exportable",
    "Mode",
    "available_algorithms",
    "make_algorithm",
    "options_key",
]

ENTRY_POINT_GROUP = "l1emu.algorithms"


class Mode(enum.Enum):
    """Which implementations of an algorithm a seed evaluates; with ``both`` the fixed one decides."""

    FLOAT = "float"
    FIXED = "fixed"
    BOTH = "both"

    @property
    def wants_float(self) -> bool:
        return self is not Mode.FIXED

    @property
    def wants_fixed(self) -> bool:
        return self is not Mode.FLOAT

    @property
    def deciding(self) -> str:
        """The output set a seed's decision reads: ``float`` only in float mode."""
        return "float" if self is Mode.FLOAT else "fixed"

    def __or__(self, other: Mode) -> Mode:
        """The mode that serves two seeds sharing one algorithm instance."""
        if self is other:
            return self
        return Mode.BOTH


@dataclass
class AlgorithmOutput:
    """Per-event outputs by name; ``fixed`` values are the fixed-point results as float64."""

    float: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    fixed: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    truncated: int = 0

    def values(self, which: str) -> dict[str, NDArray[np.float64]]:
        return self.float if which == "float" else self.fixed


@runtime_checkable
class Algorithm(Protocol):
    """What an algorithm seed needs from an algorithm."""

    name: str
    outputs: tuple[str, ...]

    def needs(self) -> Needs:
        """The collections, fields and sums to read."""
        ...

    def evaluate(self, chunk: Chunk, mode: Mode) -> AlgorithmOutput:
        """Outputs for every event of ``chunk`` in the implementations ``mode`` asks for."""
        ...


@runtime_checkable
class Exportable(Algorithm, Protocol):
    """An algorithm whose firmware is generated: the description the HLS writer reads, and its inputs.

    ``firmware()`` is the same description the algorithm's fixed path runs, so exporting it and
    C-simulating it on ``firmware_inputs(chunk)`` checks the algorithm itself; its outputs are
    ``outputs`` in order.
    """

    def firmware(self) -> ModelDescription:
        """The fixed-point description (layers, types) the firmware is generated from."""
        ...

    def firmware_inputs(self, chunk: Chunk) -> NDArray[np.float64]:
        """The (n_events, n_inputs) values the firmware reads, before the cast to its input type."""
        ...


def options_key(options: Mapping[str, Any]) -> str:
    """A canonical spelling of an algorithm's options: equal options, one instance."""
    return json.dumps(dict(options), sort_keys=True, default=str)


_FACTORIES: dict[str, Callable[..., Algorithm]] | None = None
_BROKEN: dict[str, str] = {}
_INSTANCES: dict[tuple[str, str], Algorithm] = {}


def _factories() -> dict[str, Callable[..., Algorithm]]:
    """The registered factories, loaded once per process from the entry points (a plugin that does
    not load is an error only when a menu asks for it)."""
    global _FACTORIES
    if _FACTORIES is None:
        _FACTORIES, broken = try_load_group(ENTRY_POINT_GROUP)
        _BROKEN.update(broken)
    return _FACTORIES


def available_algorithms() -> list[str]:
    """Names of the registered algorithms (entry-point group ``l1emu.algorithms``)."""
    return sorted(_factories())


def make_algorithm(name: str, options: Mapping[str, Any] | None = None, where: str = "") -> Algorithm:
    """The algorithm ``name`` built with ``options``: once per process for equal (name, options).

    Unknown names list the registered ones; bad options are :class:`ConfigError` saying where.
    """
    factories = _factories()
    prefix = f"{where}: " if where else ""
    if name in _BROKEN:
        raise ConfigError(f"{prefix}{_BROKEN[name]}")
    if name not in factories:
        raise UnknownAlgorithmError(
            f"{prefix}unknown algorithm {name!r}{suggest(name, factories)} "
            f"(registered: {', '.join(sorted(factories)) or 'none'}; plugins register in the entry-point "
            f"group {ENTRY_POINT_GROUP!r})"
        )
    opts = dict(options or {})
    key = (name, options_key(opts))
    if key in _INSTANCES:
        return _INSTANCES[key]
    try:
        algo = factories[name](**opts)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{prefix}bad options for algorithm {name!r}: {exc}") from None
    if not isinstance(algo, Algorithm):
        raise ConfigError(f"{prefix}factory for {name!r} did not return an Algorithm (got {type(algo).__name__})")
    _INSTANCES[key] = algo
    return algo
