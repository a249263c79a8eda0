"""Random fixed-point formats and values that stress ap_types' corners.

Used by ``l1emu fixed check`` and the oracle tests: formats cover W = 1..64, negative and
over-wide I, every quantization and overflow mode, ap_int/ap_uint; values cover exact ties, both
range ends, far out of range, tiny and huge doubles, infinities, signed zeros, random bit patterns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from trigger.fixed import FixedArray, FixedType, Overflow, Quantization

if TYPE_CHECKING:
    from hls.oracle import OracleCase

QUANTIZATIONS = list(Quantization)
OVERFLOWS = [o for o in Overflow if o is not Overflow.AP_WRAP_SM]


def random_width(rng: np.random.Generator, max_width: int = 64) -> int:
    """Mostly small widths (as in firmware), sometimes up to ``max_width``; W = 1 included."""
    if rng.random() < 0.7:
        return int(rng.integers(1, min(20, max_width) + 1))
    return int(rng.integers(1, max_width + 1))


def random_type(rng: np.random.Generator, max_width: int = 64) -> FixedType:
    width = random_width(rng, max_width)
    if rng.random() < 0.12:
        return FixedType(width, width, bool(rng.random() < 0.6), is_int=True)
    roll = rng.random()
    if roll < 0.1:
        integer = int(rng.integers(-8, 1))  # negative or zero integer bits
    elif roll < 0.2:
        integer = width + int(rng.integers(1, 12))  # more integer bits than the width
    else:
        integer = int(rng.integers(0, width + 1))
    return FixedType(
        width,
        integer,
        bool(rng.random() < 0.7),
        QUANTIZATIONS[int(rng.integers(len(QUANTIZATIONS)))],
        OVERFLOWS[int(rng.integers(len(OVERFLOWS)))],
    )


def random_doubles(rng: np.random.Generator, t: FixedType, n: int) -> NDArray[np.float64]:
    """Doubles around the type's grid and range, plus pathological ones."""
    lsb = np.ldexp(1.0, -t.frac)
    lo, hi = t.min, t.max
    span = max(hi - lo, lsb)
    k = rng.integers(-(2**20), 2**20, n).astype(np.float64)
    parts = [
        rng.uniform(lo - 0.6 * span, hi + 0.6 * span, n),  # inside and outside the range
        (np.round(rng.uniform(lo, hi, n) / lsb) + 0.5) * lsb,  # exact ties
        (np.round(rng.uniform(lo, hi, n) / lsb) + rng.choice([-0.25, 0.25, 0.75], n)) * lsb,
        np.array([lo, hi, lo - lsb / 2, hi + lsb / 2, lo - lsb, hi + lsb, -lsb / 2, lsb / 2, 0.0, -0.0]),
        k * lsb / 8,  # near zero on a finer grid
        rng.choice([-1, 1], n) * np.ldexp(1.0, rng.integers(-1074, 1024, n)),  # any magnitude
        np.array([np.inf, -np.inf, 5e-324, -5e-324, 1e300, -1e300, 0.3, -0.3, 0.5, -0.5, -0.7]),
    ]
    patterns = rng.integers(0, 2**63, n, dtype=np.int64).view(np.float64)  # sign added below
    patterns = patterns[np.isfinite(patterns)]
    parts.append(patterns * rng.choice([-1.0, 1.0], patterns.size))
    x = np.concatenate(parts)
    x = x[~np.isnan(x)]
    return rng.permutation(x)[:n] if x.size > n else x


def random_raw(rng: np.random.Generator, t: FixedType, n: int) -> FixedArray:
    """In-range raw integers of ``t``: uniform over all bit patterns, plus the range ends."""
    lo, hi = t.min_raw, t.max_raw
    if t.width <= 62:
        body = rng.integers(lo, hi, n, endpoint=True)
        raw: NDArray[np.int64] | NDArray[np.object_] = np.concatenate([body, [lo, hi, 0, min(1, hi), max(-1, lo)]])
    else:
        words = rng.integers(0, 2**63, n, dtype=np.int64).astype(object) * 2 + rng.integers(0, 2, n).astype(object)
        vals = [int(w) % (1 << t.width) for w in words]
        vals = [v - (1 << t.width) if t.signed and v >> (t.width - 1) else v for v in vals]
        raw = np.array([*vals, lo, hi, 0, 1], dtype=object)
    return t.from_raw(raw[:n] if len(raw) > n else raw)


def every_mode(rng: np.random.Generator) -> list[FixedType]:
    """One random format for each of the 7 x 4 quantization/overflow pairs, plus the corner shapes:
    W = 1 signed and unsigned, I < 0, I > W, W = 64, ap_int<1>, ap_uint<64>."""
    types = []
    for q in QUANTIZATIONS:
        for o in OVERFLOWS:
            width = random_width(rng, 32)
            types.append(FixedType(width, int(rng.integers(0, width + 1)), bool(rng.random() < 0.7), q, o))
    corner_modes = [(QUANTIZATIONS[int(rng.integers(7))], OVERFLOWS[int(rng.integers(4))]) for _ in range(6)]
    shapes = [(1, 1, True), (1, 0, False), (8, -3, True), (6, 14, True), (64, 20, True), (64, 64, False)]
    types += [FixedType(w, i, s, q, o) for (w, i, s), (q, o) in zip(shapes, corner_modes, strict=True)]
    return [*types, FixedType(1, 1, True, is_int=True), FixedType(64, 64, False, is_int=True)]


def random_cases(rng: np.random.Generator, n_double: int, n_cast: int, n_arith: int) -> list[OracleCase]:
    """Every mode and corner shape first (as double -> T and as cast targets), then random ones."""
    from hls.oracle import OracleCase

    systematic = every_mode(rng)
    cases = [OracleCase("from_double", t) for t in systematic]
    cases += [OracleCase("from_double", random_type(rng)) for _ in range(max(n_double - len(systematic), 0))]
    targets = systematic + [random_type(rng) for _ in range(max(n_cast - len(systematic), 0))]
    for dst in targets:
        src = random_type(rng)
        if dst.is_int and src.integer < 0:  # undefined in ap_types (reads an uninitialised int)
            src = src.replace(integer=-src.integer)
        cases.append(OracleCase("cast", src, dst))
    for _ in range(n_arith):
        a, b = random_type(rng), random_type(rng)  # result types come from ap_types' RType rules
        cases += [OracleCase(op, a, b) for op in ("+", "-", "*")]
    return cases
