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
from trigger.menu.model import AlgoCut, Cross, Leg, Menu, Overlap, Seed, SumCross, SumCut, prescale_problem

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
    "eta_windows",
    "remove_overlap",
)
#: uGT's object templates take at most five eta windows
MAX_ETA_WINDOWS = 5
_CROSS_KEYS = (
    "min_dr",
    "max_dr",
    "min_mass",
    "max_mass",
    "min_deta",
    "max_deta",
    "min_dphi",
    "max_dphi",
    "min_mt",
    "max_mt",
    "opposite_charge",
    "same_charge",
    "legs",
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


def _eta_windows(v: Validator, d: Any, path: str) -> tuple[tuple[float, float], ...] | None:
    if "eta_windows" not in d:
        return None
    p = join(path, "eta_windows")
    items = v.items(d["eta_windows"], p)
    if len(items) > MAX_ETA_WINDOWS:
        raise v.fail(p, f"at most {MAX_ETA_WINDOWS} windows (uGT's object templates)", len(items))
    out = []
    for i, w in enumerate(items):
        ok = isinstance(w, list) and len(w) == 2
        ok = ok and all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in w)
        if not ok or w[0] > w[1]:
            raise v.fail(join(p, i), "a window [lo, hi] of two finite numbers, lo <= hi (signed eta)", w)
        out.append((float(w[0]), float(w[1])))
    return tuple(out)


def _overlap(v: Validator, d: Any, path: str) -> Overlap | None:
    if "remove_overlap" not in d:
        return None
    p = join(path, "remove_overlap")
    o = dict(v.mapping(d["remove_overlap"], p))
    if "remove_overlap" in o:
        raise v.fail(join(p, "remove_overlap"), "no nested overlap removal", o["remove_overlap"])
    if "max_dr" not in o:
        raise ConfigError(f"{v.source}: {join(p, 'max_dr')}: required key is missing")
    max_dr = v.number(o, "max_dr", p, minimum=0.0, finite=True)
    del o["max_dr"]
    o.setdefault("min_pt", 0.0)
    if o.get("collection") == d.get("collection"):
        raise v.fail(join(p, "collection"), "a collection other than the leg's own", o.get("collection"))
    if "multiplicity" in o:
        raise v.fail(join(p, "multiplicity"), "no multiplicity (every matching reference object removes)", o)
    return Overlap(_leg(v, o, p), max_dr)


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
        eta_windows=_eta_windows(v, d, path),
        overlap=_overlap(v, d, path),
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


def _cross(v: Validator, c: Any, p: str, n_obj: int) -> Cross:
    """One cross condition; ``legs: [i, j]`` names its pair of objects (required beyond two objects)."""
    c = v.mapping(c, p)
    v.keys(c, p, _CROSS_KEYS)
    if "legs" in c:
        pair = c["legs"]
        ok = (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(i, int) and not isinstance(i, bool) for i in pair)
        )
        if not ok or not all(0 <= i < n_obj for i in pair) or pair[0] == pair[1]:
            raise v.fail(
                join(p, "legs"), f"two distinct object indices in 0..{n_obj - 1} (legs repeated by multiplicity)", pair
            )
        pair_t = (pair[0], pair[1])
    elif n_obj == 2:
        pair_t = (0, 1)
    else:
        raise v.fail(
            p,
            "cross conditions on a seed that takes exactly two objects, or legs: [i, j] naming the pair",
            f"{n_obj} objects",
        )
    windows = {}
    for q in ("dr", "mass", "deta", "dphi", "mt"):
        lo = v.number(c, f"min_{q}", p, 0.0, 0.0)
        hi = v.number(c, f"max_{q}", p, math.inf, 0.0)
        if lo > hi:
            raise v.fail(join(p, f"max_{q}"), f"a number >= min_{q} ({lo:g}): no pair can pass", hi)
        windows[f"min_{q}"], windows[f"max_{q}"] = lo, hi
    cross = Cross(
        **windows,
        opposite_charge=v.boolean(c, "opposite_charge", p, False),
        same_charge=v.boolean(c, "same_charge", p, False),
        pair=pair_t,
    )
    if cross.opposite_charge and cross.same_charge:
        raise v.fail(join(p, "same_charge"), "not both opposite_charge and same_charge (no pair passes)", True)
    return cross


def _sum_cross(v: Validator, c: Any, p: str, n_obj: int) -> SumCross:
    """One object-sum condition: ``{object: i, sum: MET, min_dphi/max_dphi, min_mt/max_mt}``."""
    c = v.mapping(c, p)
    v.keys(c, p, ("object", "sum", "min_dphi", "max_dphi", "min_mt", "max_mt"), ("sum",))
    if n_obj == 0:
        raise v.fail(p, "a seed with legs (the condition takes one of its objects)", "no legs")
    obj = v.integer(c, "object", p, 0, minimum=0)
    if obj >= n_obj:
        raise v.fail(join(p, "object"), f"an object index in 0..{n_obj - 1} (legs repeated by multiplicity)", obj)
    windows = {}
    for q in ("dphi", "mt"):
        lo, hi = v.number(c, f"min_{q}", p, 0.0, 0.0), v.number(c, f"max_{q}", p, math.inf, 0.0)
        if lo > hi:
            raise v.fail(join(p, f"max_{q}"), f"a number >= min_{q} ({lo:g}): no event can pass", hi)
        windows[f"min_{q}"], windows[f"max_{q}"] = lo, hi
    return SumCross(obj, v.string(c, "sum", p), **windows)


def _seed(v: Validator, name: str, d: Any, path: str) -> Seed:
    d = v.mapping(d, path)
    v.keys(d, path, ("legs", "sums", "cross", "sum_cross", "algorithm", "prescale", "description", "bit"))
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
    crosses: tuple[Cross, ...] = ()
    if "cross" in d:
        n_obj = sum(leg.multiplicity for leg in legs)
        p = join(path, "cross")
        if isinstance(d["cross"], list):
            crosses = tuple(_cross(v, c, join(p, i), n_obj) for i, c in enumerate(v.items(d["cross"], p)))
        else:
            crosses = (_cross(v, d["cross"], p, n_obj),)
    sum_crosses: tuple[SumCross, ...] = ()
    if "sum_cross" in d:
        n_obj = sum(leg.multiplicity for leg in legs)
        p = join(path, "sum_cross")
        items = v.items(d["sum_cross"], p) if isinstance(d["sum_cross"], list) else [d["sum_cross"]]
        where = [p] if not isinstance(d["sum_cross"], list) else [join(p, i) for i in range(len(items))]
        sum_crosses = tuple(_sum_cross(v, c, w, n_obj) for c, w in zip(items, where, strict=True))
    algorithm = _algorithm(v, d["algorithm"], join(path, "algorithm")) if "algorithm" in d else None
    bit = v.string(d, "bit", path) if "bit" in d else None
    if not legs and not sums and algorithm is None and bit is None:
        raise ConfigError(f"{v.source}: {path}: a seed needs at least one of legs, sums, algorithm, bit")
    if sum(leg.multiplicity for leg in legs) > 4:
        raise v.fail(join(path, "legs"), "at most 4 objects per seed", sum(leg.multiplicity for leg in legs))
    return Seed(name, legs, tuple(sums), crosses, algorithm, _prescale(v, d, path), bit, sum_crosses)


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
