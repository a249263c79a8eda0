"""The real ap_types headers as an oracle: compile conversions and operations, run them from Python.

A batch of :class:`OracleCase` objects becomes one C++ file (one ``extern "C"`` function per case),
compiled once with g++ and loaded with ctypes; :meth:`Oracle.run` then feeds numpy arrays through it.
This is how the tests show that :mod:`trigger.fixed` agrees with the headers bit for bit.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hls.templating import environment
from hls.toolchain import build_shared_library
from trigger.errors import FixedPointError
from trigger.fixed import FixedArray, FixedType, result_type
from trigger.fixed.engine_f64 import f64_eligible

__all__ = [
    "CaseResult",
    "Oracle",
    "OracleCase",
    "OracleReport",
    "check_against_headers",
    "compare_case",
    "emulate",
]

OPS = ("from_double", "cast", "+", "-", "*")
# ap_private asserts when a cast reads a bit above the source's MSB (a shift wider than the source);
# the bit is then unused and synthesis has no such check, so the oracle runs without asserts.
_FLAGS = ("-DNDEBUG",)


@dataclass(frozen=True)
class OracleCase:
    """One operation to check: ``from_double`` (double -> a), ``cast`` (a -> b) or ``a op b``."""

    op: str
    a: FixedType
    b: FixedType | None = None

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"unknown oracle op {self.op!r}; expected one of {OPS}")
        if self.op != "from_double" and self.b is None:
            raise ValueError(f"oracle op {self.op!r} needs two types")
        inputs = [] if self.op == "from_double" else [self.a] if self.op == "cast" else [self.a, self.b]
        for t in inputs:
            if t is not None and t.width > 64:
                raise ValueError(f"oracle inputs are passed as 64-bit words; {t} is wider")

    def describe(self) -> str:
        if self.op == "from_double":
            return f"double -> {self.a}"
        if self.op == "cast":
            return f"{self.a} -> {self.b}"
        return f"{self.a} {self.op} {self.b}"


def _to_words(fx: FixedArray) -> NDArray[np.uint64]:
    """Two's complement low 64 bits of each raw value (inputs are at most 64 bits wide)."""
    raw = fx.raw
    if raw.dtype == object:
        return np.array([int(v) & 0xFFFF_FFFF_FFFF_FFFF for v in raw.reshape(-1)], dtype=np.uint64)
    return np.ascontiguousarray(raw.reshape(-1).astype(np.int64).view(np.uint64))


def _from_words(words: NDArray[np.uint64], t: FixedType) -> NDArray[Any]:
    """Raw Python ints of type ``t`` from (low, high) 64-bit word pairs."""
    lo = words[:, 0].tolist()
    hi = words[:, 1].tolist()
    mask = (1 << t.width) - 1
    out = []
    for low, high in zip(lo, hi, strict=True):
        v = (low | (high << 64)) & mask
        if t.signed and v >> (t.width - 1):
            v -= 1 << t.width
        out.append(v)
    arr = np.empty(len(out), dtype=object)
    arr[:] = out
    return arr


def emulate(
    case: OracleCase,
    x: NDArray[np.float64] | None,
    a: FixedArray | None,
    b: FixedArray | None,
    *,
    f64: bool = False,
) -> FixedArray:
    """What :mod:`trigger.fixed` computes for ``case`` (the side compared with the headers).

    ``f64=True`` runs the float64-raw fast path (:mod:`trigger.fixed.engine_f64`) instead.
    """
    if case.op == "from_double":
        assert x is not None
        return case.a.from_float(x, f64=f64)
    assert a is not None
    if f64:
        a = a.as_f64()
        b = b.as_f64() if b is not None else None
    if case.op == "cast":
        assert case.b is not None
        return a.cast(case.b)
    assert b is not None
    return {"+": a.__add__, "-": a.__sub__, "*": a.__mul__}[case.op](b)


def f64_applies(case: OracleCase) -> bool:
    """Whether the float64-raw path covers ``case`` (all types narrow enough, no ap_int)."""
    types = [case.a] if case.b is None else [case.a, case.b]
    if case.op in ("+", "-", "*"):
        assert case.b is not None
        types.append(result_type(case.op, case.a, case.b))
    return f64_eligible(*types)


class Oracle:
    """A compiled batch of cases; ``run(i, ...)`` evaluates case ``i`` with the real headers."""

    def __init__(self, cases: Sequence[OracleCase], *, shards: int = 2) -> None:
        self.cases = list(cases)
        template = environment().get_template("oracle/harness.cpp.j2")
        shards = max(1, min(shards, len(self.cases)))
        groups = [self.cases[i::shards] for i in range(shards)]
        sources = [template.render(cases=g) for g in groups]
        with ThreadPoolExecutor(max_workers=shards) as pool:
            paths = list(
                pool.map(
                    lambda s: build_shared_library(s[1], name=f"oracle{s[0]}", extra_flags=_FLAGS),
                    enumerate(sources),
                )
            )
        self._libs = [ctypes.CDLL(str(p)) for p in paths]
        self._where = {}
        for shard, group in enumerate(groups):
            for local, _ in enumerate(group):
                self._where[shard + local * shards] = (shard, local)

    def __len__(self) -> int:
        return len(self.cases)

    def run(
        self,
        index: int,
        x: NDArray[np.float64] | None = None,
        a: FixedArray | None = None,
        b: FixedArray | None = None,
    ) -> tuple[NDArray[Any], FixedType]:
        """Raw results (Python ints) and the C++ result type of case ``index``."""
        case = self.cases[index]
        shard, local = self._where[index]
        fn = getattr(self._libs[shard], f"case_{local}")
        if case.op == "from_double":
            if x is None:
                raise FixedPointError("from_double cases need x")
            xs = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
            n = xs.size
            wa = wb = np.zeros(n, dtype=np.uint64)
        else:
            if a is None or (case.op != "cast" and b is None):
                raise FixedPointError(f"{case.op} cases need operands")
            wa = _to_words(a)
            wb = _to_words(b) if b is not None else np.zeros_like(wa)
            n = wa.size
            xs = np.zeros(n, dtype=np.float64)
        out = np.zeros((n, 2), dtype=np.uint64)
        info = (ctypes.c_int * 4)()
        ptr = ctypes.c_void_p
        fn(
            ptr(xs.ctypes.data),
            ptr(wa.ctypes.data),
            ptr(wb.ctypes.data),
            ptr(out.ctypes.data),
            ctypes.c_long(n),
            info,
        )
        if n == 0:
            return np.empty(0, dtype=object), emulate_type(case)
        if case.op in ("from_double", "cast"):
            rtype = emulate_type(case)
        else:
            width, integer, signed, is_int = info[0], info[1], bool(info[2]), bool(info[3])
            rtype = FixedType(width, width, signed, is_int=True) if is_int else FixedType(width, integer, signed)
        return _from_words(out, rtype), rtype


def emulate_type(case: OracleCase) -> FixedType:
    """Result type of ``case`` as :mod:`trigger.fixed` defines it."""
    if case.op == "from_double":
        return case.a
    assert case.b is not None
    return case.b if case.op == "cast" else result_type(case.op, case.a, case.b)


@dataclass(frozen=True)
class CaseResult:
    """Outcome of one case: how many values, how many differ, and the first difference."""

    case: OracleCase
    checked: int
    mismatches: int
    type_ok: bool
    first: str = ""


def compare_case(
    oracle: Oracle,
    index: int,
    x: NDArray[np.float64] | None = None,
    a: FixedArray | None = None,
    b: FixedArray | None = None,
) -> CaseResult:
    """Run case ``index`` through the headers and the emulator and compare every raw bit."""
    case = oracle.cases[index]
    got, ctype = oracle.run(index, x=x, a=a, b=b)
    paths = [False, True] if f64_applies(case) else [False]
    for f64 in paths:
        mine = emulate(case, x, a, b, f64=f64)
        if mine.type != ctype:
            return CaseResult(case, len(got), len(got), False, f"result type {mine.type} but ap_types gives {ctype}")
        want = mine.to_python_ints().reshape(-1)
        bad = [i for i, (p, q) in enumerate(zip(want.tolist(), got.tolist(), strict=True)) if p != q]
        if bad:
            break
    if not bad:
        return CaseResult(case, len(got), 0, True)
    i = bad[0]
    if x is not None:
        inputs = f"x={float(x.reshape(-1)[i])!r}"
    else:
        assert a is not None
        inputs = f"a.raw={a.raw.reshape(-1)[i]}" + (f", b.raw={b.raw.reshape(-1)[i]}" if b is not None else "")
    path = "float64-raw path" if f64 else "integer path"
    return CaseResult(
        case, len(got), len(bad), True, f"{inputs} -> emulator ({path}) raw {want[i]}, ap_types raw {got[i]}"
    )


@dataclass(frozen=True)
class OracleReport:
    """All cases of one randomized run against the headers."""

    seed: int
    results: list[CaseResult]

    @property
    def checked(self) -> int:
        return sum(r.checked for r in self.results)

    @property
    def mismatches(self) -> int:
        return sum(r.mismatches for r in self.results)

    def summary(self, limit: int = 5) -> str:
        bad = [r for r in self.results if r.mismatches]
        lines = [
            f"ap_types oracle (seed {self.seed}): {self.checked} values in {len(self.results)} "
            "formats/operations, "
            f"{self.mismatches} mismatches"
        ]
        lines += [f"  {r.case.describe()}: {r.mismatches}/{r.checked} differ; first: {r.first}" for r in bad[:limit]]
        return "\n".join(lines)


def check_against_headers(
    n_formats: int = 120, values_per_format: int = 400, seed: int | None = None, n_arith: int | None = None
) -> OracleReport:
    """Random formats x random values for every conversion and operation, emulator vs headers."""
    from hls.oracle_cases import random_cases, random_doubles, random_raw

    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    rng = np.random.default_rng(seed)
    oracle = Oracle(random_cases(rng, n_formats, n_formats, n_arith if n_arith is not None else n_formats // 3))
    results = []
    for index, case in enumerate(oracle.cases):
        if case.op == "from_double":
            results.append(compare_case(oracle, index, x=random_doubles(rng, case.a, values_per_format)))
        elif case.op == "cast":
            results.append(compare_case(oracle, index, a=random_raw(rng, case.a, values_per_format)))
        else:
            assert case.b is not None
            n = max(1, values_per_format // 2)
            a, b = random_raw(rng, case.a, n), random_raw(rng, case.b, n)
            m = min(len(a), len(b))
            results.append(compare_case(oracle, index, a=a[:m], b=b[:m]))
    return OracleReport(seed, results)
