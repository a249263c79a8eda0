"""A list of samples in YAML (``configs/samples.yaml``), produced once and reused.

A sample is regenerated only when its file is missing, its stored recipe (request, process settings,
detector model, versions) differs from the configured one, or its content digest no longer matches
(truncated, corrupt), so ``make run`` pays for generation once and never reuses a damaged file. The list is validated by
:class:`trigger.config.Validator`, like menus and HLS configs.
"""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trigger.config import Validator, join, load_yaml
from trigger.errors import ConfigError
from trigger.samples.processes import PROCESSES
from trigger.samples.provenance import recipe, stored_recipe

__all__ = ["load_sample_list", "produce_all"]

_KEYS = (
    "process",
    "events",
    "mu",
    "seed",
    "pool_size",
    "pool_seed",
    "chunk",
    "weighted",
    "pthat_bins",
    "allocation",
    "copies",
)
_DEFAULTS = {"seed": 1, "mu": 0.0, "chunk": 500, "pool_seed": 1, "weighted": True}  # + DEFAULT_POOL_SIZE


def _settings(v: Validator, d: Mapping[str, Any], path: str) -> dict[str, Any]:
    """The keys ``d`` sets, each checked (a sample or the ``defaults`` block)."""
    v.keys(d, path, _KEYS)
    out: dict[str, Any] = {}
    if "process" in d:
        out["process"] = v.choice(d, "process", path, sorted(PROCESSES), "")
    for key, minimum in (("events", 1), ("seed", None), ("pool_seed", None), ("chunk", 1), ("pool_size", 1)):
        if key in d:
            out[key] = v.integer(d, key, path, minimum=minimum)
    if "mu" in d:
        out["mu"] = v.number(d, "mu", path, minimum=0.0)
    if "weighted" in d:
        out["weighted"] = v.boolean(d, "weighted", path, True)
    if "pthat_bins" in d:
        out["pthat_bins"] = _pthat_bins(v, d, path)
    if "allocation" in d:
        out["allocation"] = (d, path)  # checked against the sample's pTHat bins once merged
    if "copies" in d:
        out["copies"] = (d, path)  # the same
    return out


def _pthat_bins(v: Validator, d: Mapping[str, Any], path: str) -> tuple[float, ...]:
    """Zero-bias pTHat bin lower edges (``Request.pthat_bins``): increasing positive numbers."""
    value = d["pthat_bins"]
    ok = isinstance(value, list) and len(value) >= 1
    ok = ok and all(isinstance(x, int | float) and not isinstance(x, bool) and 0 < x < math.inf for x in value)
    if not ok or any(b <= a for a, b in itertools.pairwise(value)):
        raise v.fail(
            join(path, "pthat_bins"), "a list of increasing positive numbers (GeV, the bins' lower edges)", value
        )
    return tuple(float(x) for x in value)


def _allocation(v: Validator, d: Mapping[str, Any], path: str, n_bins: int) -> tuple[float, ...]:
    """Zero-bias shares per stratum part (``Request.allocation``), checked here so the error names the key."""
    strata = 1 + n_bins
    value = d["allocation"]
    parts = len(value) // strata if isinstance(value, list) and len(value) in (2 * strata, 3 * strata) else 0
    ok = parts > 0 and all(isinstance(x, int | float) and not isinstance(x, bool) and 0 <= x < math.inf for x in value)
    ok = ok and all(x > 0 or i % parts == 2 for i, x in enumerate(value))
    if not ok:
        raise v.fail(
            join(path, "allocation"),
            f"a list of {2 * strata} positive numbers (shares of the crossings: soft normal, soft forced, then normal "
            f"and forced of each of the {n_bins} pTHat bins) or of {3 * strata} (normal, forced, forced-two per "
            "stratum; a forced-two share may be 0)",
            value,
        )
    return tuple(float(x) for x in value)


def _copies(v: Validator, d: Mapping[str, Any], path: str, n_bins: int) -> tuple[int, ...]:
    """Zero-bias crossings per hard event in each pTHat bin (``Request.copies``)."""
    value = d["copies"]
    ok = isinstance(value, list) and len(value) == n_bins
    if not ok or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in value):
        raise v.fail(
            join(path, "copies"),
            f"a list of {n_bins} integers >= 1 (one per pTHat bin: crossings made of each hard event, each with its "
            "own pile-up and detector draw)",
            value,
        )
    return tuple(value)


def load_sample_list(path: Path, cache_dir: Path, workers: int) -> dict[str, Any]:
    """Name -> :class:`~trigger.samples.production.Request`, validated (errors: file, key path, expected)."""
    from trigger.samples.production import DEFAULT_POOL_SIZE, DEFAULT_PTHAT_BINS, Request

    doc, source = load_yaml(path)
    v = Validator(source)
    top = v.document(doc)
    v.keys(top, "", ("version", "defaults", "samples"), ("samples",))
    if v.integer(top, "version", "", 1) != 1:
        raise v.fail("version", "1 (the only version this l1emu reads)", top["version"])
    given = _settings(v, v.mapping(top.get("defaults") or {}, "defaults"), "defaults")
    defaults = {**_DEFAULTS, "pool_size": DEFAULT_POOL_SIZE, **given}
    samples = v.mapping(top["samples"], "samples")
    if not samples:
        raise v.fail("samples", "at least one sample", {})
    requests = {}
    for name, entry in samples.items():
        where = join("samples", str(name))
        merged = {**defaults, **_settings(v, v.mapping(entry, where), where)}
        for key in ("process", "events"):
            if key not in merged:
                raise ConfigError(f"{source}: {join(where, key)}: required key is missing (here or in defaults)")
        bins: tuple[float, ...] = merged.get("pthat_bins", DEFAULT_PTHAT_BINS)
        given_alloc: tuple[Mapping[str, Any], str] | None = merged.get("allocation")
        allocation = None if given_alloc is None else _allocation(v, given_alloc[0], given_alloc[1], len(bins))
        given_copies: tuple[Mapping[str, Any], str] | None = merged.get("copies")
        copies = None if given_copies is None else _copies(v, given_copies[0], given_copies[1], len(bins))
        requests[str(name)] = Request(
            process=merged["process"],
            n=merged["events"],
            seed=merged["seed"],
            mu=float(merged["mu"]),
            workers=workers,
            chunk=merged["chunk"],
            cache_dir=cache_dir,
            pool_size=merged["pool_size"],
            pool_seed=merged["pool_seed"],
            weighted=merged["weighted"],
            pthat_bins=bins,
            allocation=allocation,
            copies=copies,
        )
    return requests


def produce_all(
    path: Path, outdir: Path, cache_dir: Path, workers: int, progress: bool, only: list[str] | None = None
) -> list[tuple[str, Path, bool]]:
    """Generate every sample of the list (or of its names ``only``) that is missing or stale, all on one set of
    ``workers`` processes (:func:`~trigger.samples.production.generate_many`); (name, file, generated)."""
    from trigger.samples.processes import get_process
    from trigger.samples.production import generate_many

    requests = load_sample_list(path, cache_dir, workers)
    unknown = [n for n in only or () if n not in requests]
    if unknown:
        raise ConfigError(
            f"{path}: --only: no sample {', '.join(map(repr, unknown))}; the list has {', '.join(requests)}"
        )
    done = []
    todo = []
    for name, req in requests.items():
        if only is not None and name not in only:
            continue
        out = outdir / f"{name}.root"
        why = stale(out, recipe(req, get_process(req.process))) if out.exists() else None
        if out.exists() and why is None:
            done.append((name, out, False))
            continue
        if why is not None:
            print(f"l1emu generate: {out}: {why}; regenerating it", file=sys.stderr)
        todo.append((req, out))
        done.append((name, out, True))
    if todo:
        generate_many(todo, workers, progress)
    return done


def stale(path: Path, wanted: dict[str, Any]) -> str | None:
    """Why the cached sample at ``path`` cannot stand for ``wanted`` (a :func:`recipe`), or None if it can."""
    from trigger.samples.writer import read_provenance, verify

    try:
        stored = stored_recipe(read_provenance(path))
    except Exception as exc:  # unreadable or foreign file
        return f"it has no readable provenance ({type(exc).__name__}: {exc})"
    changed = sorted(k for k in wanted if stored.get(k) != wanted[k])
    if changed:
        return f"it was made with other {', '.join(changed)}"
    return verify(path)
