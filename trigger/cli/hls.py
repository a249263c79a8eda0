"""``l1emu hls``: export a Keras model as an HLS project, C-simulate it with g++, estimate resources."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from trigger.cli._args import count
from trigger.cli.nn import samples
from trigger.errors import ConfigError, ModelError

__all__ = ["register"]

_TB_SAMPLES = 1000
#: C-simulated samples at most: more is a typo (each is a line of the testbench files)
_MAX_SAMPLES = 1_000_000


def register(sub: Any) -> None:
    parser = sub.add_parser("hls", help="HLS projects: export, C simulation with g++, resource estimates")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    export = actions.add_parser(
        "export",
        help="write an HLS project (C++, weights, testbench, Tcl) of a Keras model or of a menu's algorithm seed",
    )
    export.add_argument("model", nargs="?", help="a Keras 3 .keras file (or give --menu and --seed)")
    export.add_argument("--config", help="hls4ml-style YAML config (with MODEL)")
    export.add_argument("--menu", help="menu YAML whose algorithm seed --seed is exported")
    export.add_argument("--seed", dest="seed_name", metavar="SEED", help="the algorithm seed, e.g. L1_FixedHT320")
    export.add_argument("--input", "-i", nargs="+", metavar="FILE", help="events for the C simulation (with --seed)")
    export.add_argument("--schema", default=None, help="input schema (default: detect)")
    export.add_argument("-o", "--output", required=True, help="project directory to write")
    export.add_argument("--calibration", help=".npy array (batch, n_inputs) that sizes 'auto' precisions")
    export.add_argument(
        "--csim",
        type=count(0, _MAX_SAMPLES),
        metavar="N",
        default=0,
        help="then C-simulate N inputs (random, or from --input events)",
    )
    export.add_argument(
        "--force", action="store_true", help="replace an existing l1emu project directory (never anything else)"
    )
    export.add_argument("--part", default=None, help="FPGA part, [A-Za-z0-9_-]+ (default xcvu9p-flga2104-2L-e)")
    export.add_argument("--clock", type=float, default=None, help="clock period in ns, finite and > 0 (default 5)")
    export.add_argument("--random-seed", type=count(0), default=0, help="seed of the random testbench inputs")
    export.set_defaults(func=_export)

    csim = actions.add_parser("csim", help="compile a project with g++ and compare every output bit")
    csim.add_argument("project", help="directory written by `l1emu hls export` (refused if its files changed since)")
    csim.add_argument(
        "--n", type=count(0, _MAX_SAMPLES), default=0, help="N random inputs instead of the project's tb_data"
    )
    csim.add_argument("--random-seed", type=count(0), default=0, help="seed of the random inputs")
    csim.set_defaults(func=_csim)

    est = actions.add_parser("estimate", help="DSPs, LUT multipliers, latency and II without Vivado")
    est.add_argument("model", help="a Keras 3 .keras file")
    est.add_argument("--config", required=True, help="hls4ml-style YAML config")
    est.add_argument("--calibration", help=".npy array (batch, n_inputs) that sizes 'auto' precisions")
    est.set_defaults(func=_estimate)


def _load(args: argparse.Namespace) -> Any:
    from trigger.nn import from_keras

    path = Path(args.model)
    if path.suffix != ".keras":
        raise ModelError(f"{path}: expected a Keras 3 '.keras' file")
    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    calibration = None
    if args.calibration is not None:
        cal = Path(args.calibration)
        if not cal.is_file():
            raise ModelError(f"{cal}: no such calibration file (a .npy array of shape (batch, n_inputs))")
        calibration = samples(cal, "--calibration")
    return from_keras(path, args.config, calibration)


def _export(args: argparse.Namespace) -> int:
    from hls.csim import random_inputs, run_csim
    from hls.writer import ProjectOptions, check_target, write_project

    options = ProjectOptions(**{k: v for k, v in (("part", args.part), ("clock_ns", args.clock)) if v is not None})
    if args.csim < 0:
        raise ConfigError(f"--csim must be >= 0, got {args.csim}")
    check_target(args.output, args.force)  # before the (slow) model import: a refusal costs nothing
    if args.menu or args.seed_name:
        model, inputs, what = _seed_inputs(args)
    else:
        if not args.model or not args.config:
            raise ConfigError("give MODEL.keras with --config, or --menu MENU --seed SEED --input FILES")
        model = _load(args)
        inputs = random_inputs(model, max(args.csim, _TB_SAMPLES), args.random_seed)
        what = "random inputs"
    project = write_project(model, args.output, options=options, tb_inputs=inputs[:_TB_SAMPLES], force=args.force)
    print(f"wrote {project}")
    if args.csim > 0:
        report = run_csim(project, inputs[: args.csim])
        print(f"C simulation on {min(args.csim, len(inputs))} {what}: {report.summary()}")
        return 0 if report.mismatches == 0 else 1
    return 0


def _seed_inputs(args: argparse.Namespace) -> tuple[Any, Any, str]:
    """The seed's firmware and the rows it reads in the --input events (features stage)."""
    from trigger.cli.seed_firmware import seed_firmware

    if not (args.menu and args.seed_name and args.input):
        raise ConfigError("exporting a menu seed needs --menu MENU, --seed SEED and --input FILES (events)")
    if args.model or args.config:
        raise ConfigError("give either MODEL.keras --config, or --menu/--seed/--input, not both")
    fw = seed_firmware(args.menu, args.seed_name, args.input, max(args.csim, _TB_SAMPLES), schema=args.schema)
    print(f"seed {fw.seed}: algorithm {fw.algorithm}, {len(fw.inputs)} firmware input rows from {fw.events} events")
    return fw.description, fw.inputs, f"rows of real events ({fw.algorithm} inputs)"


def _csim(args: argparse.Namespace) -> int:
    from hls.csim import load_project_model, random_inputs, run_csim

    x = random_inputs(load_project_model(args.project), args.n, args.random_seed) if args.n > 0 else None
    report = run_csim(args.project, x)
    print(report.summary())
    return 0 if report.mismatches == 0 else 1


def _estimate(args: argparse.Namespace) -> int:
    from hls.estimate import estimate

    print(estimate(_load(args)).summary())
    return 0
