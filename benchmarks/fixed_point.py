"""Throughput of the bit-accurate fixed-point core against plain float64 numpy, in one run.

Prints values/s for float64 -> ap_fixed casts and for a fixed-point multiply-add, next to the
same operations in float64 numpy, and the ratios.  Usage: ``python benchmarks/fixed_point.py [N]``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np

from trigger.fixed import FixedType


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(n: int = 10_000_000) -> None:
    rng = np.random.default_rng(1)
    x, y, z = (rng.normal(0.0, 8.0, n) for _ in range(3))
    data_t = FixedType.from_string("ap_fixed<16,6,AP_RND_CONV,AP_SAT>")
    weight_t = FixedType.from_string("ap_fixed<8,2,AP_RND,AP_SAT>")
    accum_t = FixedType.from_string("ap_fixed<24,12,AP_TRN,AP_WRAP>")
    fx, fy, fz = data_t.from_float(x), weight_t.from_float(y), accum_t.from_float(z)

    rows = []
    t_cast = best_of(lambda: data_t.from_float(x))
    scale, lo, hi = 2.0**data_t.frac, data_t.min, data_t.max
    t_cast_f = best_of(lambda: np.clip(np.round(x * scale) / scale, lo, hi))
    rows.append(("cast float64 -> " + str(data_t), t_cast, "float64 round-and-clip (not bit-exact)", t_cast_f))
    t_mac = best_of(lambda: (fx * fy + fz).cast(accum_t))
    t_mac_f = best_of(lambda: x * y + z)
    rows.append((f"multiply-add, cast to {accum_t}", t_mac, "float64 x*y+z", t_mac_f))

    print(f"fixed-point core, {n:.0e} values, best of 3 (numpy {np.__version__})")
    for name, t_fixed, float_name, t_float in rows:
        print(f"  {name:<48} {n / t_fixed / 1e6:8.1f} M values/s")
        print(f"  {float_name:<48} {n / t_float / 1e6:8.1f} M values/s   fixed/float = {t_float / t_fixed:.3f}")


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 10_000_000)
