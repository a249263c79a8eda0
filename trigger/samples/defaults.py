"""A list of samples in YAML (``configs/samples.yaml``), produced once and reused.

A sample is regenerated only when its file is missing or its stored request differs from the
configured one, so ``make run`` pays for generation once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from trigger.errors import SampleError
from trigger.samples.processes import PROCESSES

__all__ = ["load_sample_list", "produce_all"]

_KEYS = {"process", "events", "mu", "seed", "pool_size", "pool_seed", "chunk"}


def load_sample_list(path: Path, cache_dir: Path, workers: int) -> dict[str, Any]:
    """Name -> :class:`~trigger.samples.production.Request`, validated."""
    from trigger.samples.production import Request

    try:
        doc = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise SampleError(f"cannot read the sample list {path}: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("samples"), dict):
        raise SampleError(f"{path}: expected a mapping with a 'samples' mapping")
    defaults = doc.get("defaults") or {}
    requests = {}
    for name, entry in doc["samples"].items():
        where = f"{path}: samples.{name}"
        if not isinstance(entry, dict):
            raise SampleError(f"{where}: expected a mapping of {sorted(_KEYS)}")
        merged = {**defaults, **entry}
        unknown = set(merged) - _KEYS
        if unknown:
            raise SampleError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}")
        if merged.get("process") not in PROCESSES:
            raise SampleError(f"{where}.process: {merged.get('process')!r} is not one of {sorted(PROCESSES)}")
        if not isinstance(merged.get("events"), int) or merged["events"] <= 0:
            raise SampleError(f"{where}.events: expected a positive integer, got {merged.get('events')!r}")
        requests[str(name)] = Request(
            process=merged["process"],
            n=merged["events"],
            seed=int(merged.get("seed", 1)),
            mu=float(merged.get("mu", 0.0)),
            workers=workers,
            chunk=int(merged.get("chunk", 500)),
            cache_dir=cache_dir,
            pool_size=int(merged.get("pool_size", 5000)),
            pool_seed=int(merged.get("pool_seed", 1)),
        )
    return requests


def produce_all(
    path: Path, outdir: Path, cache_dir: Path, workers: int, progress: bool
) -> list[tuple[str, Path, bool]]:
    """Generate every sample of the list that is missing or stale; (name, file, generated)."""
    from trigger.samples.production import generate, request_dict
    from trigger.samples.writer import read_provenance

    done = []
    for name, req in load_sample_list(path, cache_dir, workers).items():
        out = outdir / f"{name}.root"
        wanted = request_dict(req)
        wanted.pop("cache_dir")
        wanted.pop("workers")
        if out.exists():
            try:
                fresh = read_provenance(out).get("request") == wanted
            except Exception:  # unreadable or foreign file: regenerate
                fresh = False
            if fresh:
                done.append((name, out, False))
                continue
        generate(req, out, progress=progress)
        done.append((name, out, True))
    return done
