"""Rate ratio of two seeds measured on the same events, with its statistical error (issue 12 item 4).

Reads the ``rates.json`` of ``l1emu rates`` on a menu holding just the two seeds (e.g.
``configs/menus/l1_menu_muon_nn.yaml``): each seed's rate and its "pure" rate (events it alone fires), so
the events split into three disjoint sets, A only, B only, both, whose weighted sums are independent
(the rate error is sqrt(sum w^2) per set; var(both) = var(A) - var(A only)). The ratio A / B then has the
propagated error of three independent terms, not of two correlated rates::

    l1emu rates configs/menus/l1_menu_muon_nn.yaml -i data/samples/muon_pt/zerobias.root -o out/muon_nn_rates
    python benchmarks/muon_pt_rate_ratio.py out/muon_nn_rates/rates.json L1_SingleMu22 L1_SingleMuNN22
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any


def ratio(a: dict[str, Any], b: dict[str, Any]) -> tuple[float, float]:
    """(A / B, its error) from two rows of ``rates.json`` (raw rates and pure rates, kHz)."""
    rate_a, rate_b = a["raw"]["khz"], b["raw"]["khz"]
    only_a, only_b = a["pure"]["khz"], b["pure"]["khz"]
    var_only_a, var_only_b = a["pure"]["err_up"] ** 2, b["pure"]["err_up"] ** 2
    var_both = max(a["raw"]["err_up"] ** 2 - var_only_a, 0.0)
    both = rate_a - only_a
    if rate_b <= 0 or not math.isclose(rate_b - only_b, both, rel_tol=1e-6, abs_tol=1e-9):
        raise ValueError("seed B has no rate, or the rows are not from one menu of just these two seeds")
    r = rate_a / rate_b
    d_both = (rate_b - rate_a) / rate_b**2
    var = d_both**2 * var_both + var_only_a / rate_b**2 + (rate_a / rate_b**2) ** 2 * var_only_b
    return r, math.sqrt(var)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rates", type=Path, help="rates.json of l1emu rates")
    parser.add_argument("seed_a")
    parser.add_argument("seed_b")
    args = parser.parse_args()
    rows = {row["name"]: row for row in json.loads(args.rates.read_text())["seeds"]}
    a, b = rows[args.seed_a], rows[args.seed_b]
    r, err = ratio(a, b)
    for row in (a, b):
        extra = f", float {row['float_khz']:.3f}, fixed {row['fixed_khz']:.3f}" if row.get("fixed_khz") else ""
        print(
            f"{row['name']}: {row['raw']['khz']:.3f} +- {row['raw']['err_up']:.3f} kHz "
            f"(N_eff {row['n_eff']:.1f}, {row['raw']['count']} events{extra})"
        )
    print(f"both {a['raw']['khz'] - a['pure']['khz']:.3f} kHz, {args.seed_a} only {a['pure']['khz']:.3f}, "
          f"{args.seed_b} only {b['pure']['khz']:.3f}")  # fmt: skip
    print(f"rate ratio {args.seed_a} / {args.seed_b} = {r:.2f} +- {err:.2f}")


if __name__ == "__main__":
    main()
