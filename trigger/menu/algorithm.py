"""The algorithm-seed interface: a small Protocol and a registry.

An algorithm takes a chunk and returns per-event outputs in float, in fixed point, or both; a seed
cuts on one output. Trained algorithms (the NN emulator, taggers, regressors) plug in by registering a
factory::

    @register_algorithm("my_tagger")
    def _make(**options) -> Algorithm: ...

Objects beyond an algorithm's fixed input slots are dropped in pt order and the affected events are
counted in ``AlgorithmOutput.truncated`` (the rate table reports them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from trigger.errors import ConfigError, UnknownAlgorithmError
from trigger.names import suggest

if TYPE_CHECKING:
    from trigger.io.reader import Chunk, Needs

__all__ = ["Algorithm", "AlgorithmOutput", "available_algorithms", "make_algorithm", "register_algorithm"]

MODES = ("float", "fixed", "both")


@dataclass
class AlgorithmOutput:
    """Per-event outputs by name; ``fixed`` values are the fixed-point results as float64."""

    float: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    fixed: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    truncated: int = 0


@runtime_checkable
class Algorithm(Protocol):
    """What an algorithm seed needs from an algorithm."""

    name: str
    outputs: tuple[str, ...]

    def needs(self) -> Needs:
        """The collections, fields and sums to read."""
        ...

    def evaluate(self, chunk: Chunk, mode: str) -> AlgorithmOutput:
        """Outputs for every event of ``chunk``; ``mode`` is ``float``, ``fixed`` or ``both``."""
        ...


_REGISTRY: dict[str, Callable[..., Algorithm]] = {}
_BUILTINS_LOADED = False


def register_algorithm(name: str) -> Callable[[Callable[..., Algorithm]], Callable[..., Algorithm]]:
    """Decorator: register a factory ``(**options) -> Algorithm`` under ``name``."""

    def deco(factory: Callable[..., Algorithm]) -> Callable[..., Algorithm]:
        _REGISTRY[name] = factory
        return factory

    return deco


def _load_builtins() -> None:
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _BUILTINS_LOADED = True
        import algorithms.fixed_ht
        import algorithms.nn_seed  # noqa: F401


def available_algorithms() -> list[str]:
    _load_builtins()
    return sorted(_REGISTRY)


def make_algorithm(name: str, options: Mapping[str, Any] | None = None, where: str = "") -> Algorithm:
    """Build a registered algorithm; unknown names and bad options are errors that say where."""
    _load_builtins()
    prefix = f"{where}: " if where else ""
    if name not in _REGISTRY:
        raise UnknownAlgorithmError(
            f"{prefix}unknown algorithm {name!r}{suggest(name, _REGISTRY)} "
            f"(registered: {', '.join(sorted(_REGISTRY)) or 'none'})"
        )
    try:
        algo = _REGISTRY[name](**dict(options or {}))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{prefix}bad options for algorithm {name!r}: {exc}") from None
    if not isinstance(algo, Algorithm):
        raise ConfigError(f"{prefix}factory for {name!r} did not return an Algorithm (got {type(algo).__name__})")
    return algo
