"""``l1emu fixed``: inspect fixed-point types, quantize numbers, check the emulator against ap_types."""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from trigger.cli._args import count, number
from trigger.fixed import FixedType

__all__ = ["register"]


def register(sub: Any) -> None:
    parser = sub.add_parser("fixed", help="fixed-point types: info, quantize, check against ap_types")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    info = actions.add_parser("info", help="range and resolution of a type")
    info.add_argument("type", help="C++ spelling, e.g. 'ap_fixed<16,6,AP_RND,AP_SAT>'")
    info.set_defaults(func=_info)

    quant = actions.add_parser("quantize", help="quantize numbers exactly as ap_types' double constructor")
    quant.add_argument("type")
    quant.add_argument("values", nargs="+", type=number(allow_inf=True))
    quant.set_defaults(func=_quantize)

    check = actions.add_parser("check", help="compare the emulator with the real ap_types headers (g++)")
    check.add_argument("--formats", type=count(1, 10_000), default=120, help="random formats per operation kind")
    check.add_argument("--values", type=count(1, 100_000), default=400, help="values per format")
    check.add_argument("--seed", type=count(0), default=None)
    check.set_defaults(func=_check)


def _info(args: argparse.Namespace) -> int:
    t = FixedType.from_string(args.type)
    print(f"{t}: W={t.width} I={t.integer} F={t.frac} {'signed' if t.signed else 'unsigned'}")
    print(f"  min {t.min!r}  max {t.max!r}  lsb {t.lsb!r}")
    print(f"  quantization {t.rounding.value}  overflow {t.overflow.value}")
    return 0


def _quantize(args: argparse.Namespace) -> int:
    t = FixedType.from_string(args.type)
    fx = t.from_float(np.array(args.values))
    for value, q, raw, over in zip(args.values, fx.to_float(), fx.raw, fx.overflowed, strict=True):
        print(f"{value!r:>24} -> {q!r:<24} raw {int(raw):>8}{'  (overflow)' if over else ''}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from hls.oracle import check_against_headers

    start = time.perf_counter()
    report = check_against_headers(n_formats=args.formats, values_per_format=args.values, seed=args.seed)
    print(report.summary())
    print(f"  ({time.perf_counter() - start:.1f} s including the g++ build)")
    return 0 if report.mismatches == 0 else 1
