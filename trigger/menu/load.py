"""Load a menu from YAML and validate it against the versioned schema (``menu_version: 1``).

Errors carry the file, the key path and what was expected, e.g.
``menu.yaml: seeds.L1_DoubleMu_15_7.legs[1].min_pt: expected a number >= 0, got -7``.

>>> m = parse_menu({"menu_version": 1, "name": "m", "seeds": {"L1_SingleMu22": {
...     "legs": [{"collection": "muons", "min_pt": 22, "max_abs_eta": 2.4}]}}}, "m.yaml")
>>> m.seeds[0].legs[0].max_abs_eta, m.zero_bias_khz
(2.4, 31037.856)
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from trigger.config import Validator, join, load_yaml
from trigger.errors import ConfigError
from trigger.menu.algorithm import Mode
from trigger.menu.model import AlgoCut, Cross, Leg, Menu, Seed, SumCut, prescale_problem

__all__ = ["MAX_BUNCHES", "MENU_VERSION", "load_menu", "parse_menu"]

MENU_VERSION = 1
#: bunch slots in the LHC ring (25 ns spacing): no more bunches can collide
MAX_BUNCHES = 3564
_LEG_KEYS = (
    "collection",
    "min_pt",
    "min_abs_eta",
    "max_abs_eta",
    "quality",
    "quality_mask",
    "iso",
    "iso_mask",
    "bx",
    "multiplicity",
)


def _mask_values(mask: int) -> tuple[int, ...]:
    return tuple(i for i in range(64) if mask >> i & 1)


def _allowed(v: Validator, d: Any, key: str, path: str) -> tuple[int, ...] | None:
    listed = v.int_list(d, key, path)
    if f"{key}_mask" in d:
        if listed is not None:
            raise ConfigError(f"{v.source}: {path}: give {key} or {key}_mask, not both")
        return _mask_values(v.integer(d, f"{key}_mask", path, minimum=1))
    return listed


def _leg(v: Validator, d: Any, path: str) -> Leg:
    d = v.mapping(d, path)
    v.keys(d, path, _LEG_KEYS, ("collection", "min_pt"))
    leg = Leg(
        collection=v.string(d, "collection", path),
        min_pt=v.number(d, "min_pt", path, minimum=0.0),
        min_abs_eta=v.number(d, "min_abs_eta", path, 0.0, minimum=0.0),
        max_abs_eta=v.number(d, "max_abs_eta", path, math.inf, minimum=0.0),
        quality=_allowed(v, d, "quality", path),
        iso=_allowed(v, d, "iso", path),
        bx=v.integer(d, "bx", path, 0),
        multiplicity=v.integer(d, "multiplicity", path, 1, minimum=1),
    )
    if leg.min_abs_eta > leg.max_abs_eta:
        raise v.fail(join(path, "max_abs_eta"), f"a number >= min_abs_eta ({leg.min_abs_eta:g})", leg.max_abs_eta)
    return leg


def _prescale(v: Validator, d: Any, path: str) -> float:
    p = v.number(d, "prescale", path, 1.0, minimum=0.0)
    problem = prescale_problem(p)
    if problem is not None:
        raise v.fail(join(path, "prescale"), problem, p)
    return p


def _algorithm(v: Validator, d: Any, path: str) -> AlgoCut:
    from trigger.menu.algorithm import make_algorithm

    d = v.mapping(d, path)
    v.keys(d, path, ("name", "output", "min", "mode", "options"), ("name", "min"))
    text = v.string(d, "mode", path, Mode.FIXED.value)
    try:
        mode = Mode(text)
    except ValueError:
        raise v.fail(join(path, "mode"), f"one of {', '.join(m.value for m in Mode)}", text) from None
    options = dict(v.mapping(d.get("options", {}), join(path, "options")))
    name = v.string(d, "name", path)
    algo = make_algorithm(name, options, where=f"{v.source}: {path}")
    output = v.string(d, "output", path, algo.outputs[0])
    if output not in algo.outputs:
        raise v.fail(join(path, "output"), f"one of algorithm {name!r}'s outputs {list(algo.outputs)}", output)
    return AlgoCut(name, output, v.number(d, "min", path), mode, tuple(sorted(options.items())))


def _seed(v: Validator, name: str, d: Any, path: str) -> Seed:
    d = v.mapping(d, path)
    v.keys(d, path, ("legs", "sums", "cross", "algorithm", "prescale", "description", "bit"))
    legs = (
        tuple(_leg(v, x, join(join(path, "legs"), i)) for i, x in enumerate(v.items(d["legs"], join(path, "legs"))))
        if "legs" in d
        else ()
    )
    sums = []
    if "sums" in d:
        for i, s in enumerate(v.items(d["sums"], join(path, "sums"))):
            p = join(join(path, "sums"), i)
            s = v.mapping(s, p)
            v.keys(s, p, ("sum", "min", "max"), ("sum", "min"))
            cut = SumCut(v.string(s, "sum", p), v.number(s, "min", p), v.number(s, "max", p, math.inf))
            if cut.min >= cut.max:  # the window is min <= value < max
                raise v.fail(join(p, "max"), f"a number > min ({cut.min:g}): min <= value < max is empty", cut.max)
            sums.append(cut)
    cross = None
    if "cross" in d:
        p = join(path, "cross")
        c = v.mapping(d["cross"], p)
        v.keys(c, p, ("min_dr", "max_dr", "min_mass", "max_mass", "opposite_charge", "same_charge"))
        cross = Cross(
            v.number(c, "min_dr", p, 0.0, 0.0),
            v.number(c, "max_dr", p, math.inf, 0.0),
            v.number(c, "min_mass", p, 0.0, 0.0),
            v.number(c, "max_mass", p, math.inf, 0.0),
            v.boolean(c, "opposite_charge", p, False),
            v.boolean(c, "same_charge", p, False),
        )
        if cross.opposite_charge and cross.same_charge:
            raise v.fail(join(p, "same_charge"), "not both opposite_charge and same_charge (no pair passes)", True)
        for low, high in (("min_dr", "max_dr"), ("min_mass", "max_mass")):
            lo, hi = getattr(cross, low), getattr(cross, high)
            if lo > hi:
                raise v.fail(join(p, high), f"a number >= {low} ({lo:g}): no pair can pass", hi)
        n_obj = sum(leg.multiplicity for leg in legs)
        if n_obj != 2:
            raise v.fail(p, "cross conditions on a seed that takes exactly two objects", f"{n_obj} objects")
    algorithm = _algorithm(v, d["algorithm"], join(path, "algorithm")) if "algorithm" in d else None
    bit = v.string(d, "bit", path) if "bit" in d else None
    if not legs and not sums and algorithm is None and bit is None:
        raise ConfigError(f"{v.source}: {path}: a seed needs at least one of legs, sums, algorithm, bit")
    if sum(leg.multiplicity for leg in legs) > 4:
        raise v.fail(join(path, "legs"), "at most 4 objects per seed", sum(leg.multiplicity for leg in legs))
    return Seed(name, legs, tuple(sums), cross, algorithm, _prescale(v, d, path), bit)


def parse_menu(data: Any, source: str) -> Menu:
    """Validate a parsed YAML menu and build a :class:`Menu`."""
    v = Validator(source)
    top = v.document(data)
    v.keys(
        top,
        "",
        ("menu_version", "name", "bunches", "budget_khz", "crossing_mhz", "seeds", "description"),
        ("menu_version", "name", "seeds"),
    )
    version = v.integer(top, "menu_version", "")
    if version != MENU_VERSION:
        raise v.fail("menu_version", f"{MENU_VERSION} (the only version this l1emu reads)", version)
    bunches = v.mapping(top.get("bunches", {}), "bunches")
    v.keys(bunches, "bunches", ("colliding", "revolution_hz"))
    seeds_d = v.mapping(top["seeds"], "seeds")
    if not seeds_d:
        raise v.fail("seeds", "at least one seed", {})
    names: dict[str, Any] = {}
    for name in seeds_d:
        if str(name) in names:  # e.g. 1 and '1': distinct YAML keys, one seed name
            raise v.fail(join("seeds", str(name)), "a seed name used once", f"{names[str(name)]!r} and {name!r}")
        names[str(name)] = name
    seeds = tuple(_seed(v, str(name), d, join("seeds", str(name))) for name, d in seeds_d.items())
    defaulted = tuple(key for key in ("budget_khz",) if key not in top)
    return Menu(
        name=v.string(top, "name", ""),
        seeds=seeds,
        colliding_bunches=v.integer(bunches, "colliding", "bunches", 2760, minimum=1, maximum=MAX_BUNCHES),
        revolution_hz=v.number(bunches, "revolution_hz", "bunches", 11245.6, minimum=1e-9, finite=True),
        budget_khz=v.number(top, "budget_khz", "", 100.0, minimum=1e-9, finite=True),
        crossing_mhz=v.number(top, "crossing_mhz", "", 40.0, minimum=1e-9, finite=True),
        source=source,
        meta=(("defaulted", defaulted),),
    )


def load_menu(path: str | Path) -> Menu:
    data, source = load_yaml(path)
    return parse_menu(data, source)
