"""What made a sample: versions, settings, seed, pile-up, detector model, stitching.

No wall-clock time, host name, path or worker count goes in, so the same request gives the same
file content however and wherever it runs.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from trigger import __version__

if TYPE_CHECKING:
    from trigger.samples.pileup import MinBiasPool
    from trigger.samples.processes import Process
    from trigger.samples.production import Request

__all__ = ["provenance", "recipe", "stored_recipe"]

_PACKAGES = ("pythia8mc", "fastjet", "uproot", "awkward", "numpy")


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "absent"


def recipe(request: Request, process: Process) -> dict[str, Any]:
    """The part of the provenance known before generating: everything the content depends on.

    A cached sample whose stored recipe differs (another process setting, detector model, pool format or
    package version) is stale, even when its request is the same. JSON-normalised, as read back.
    """
    from trigger.samples.events import Detector
    from trigger.samples.pileup import POOL_VERSION
    from trigger.samples.production import request_dict

    req = request_dict(request)
    req.pop("cache_dir")
    req.pop("workers")  # the content does not depend on it
    det = Detector()
    out = {
        "l1emu": __version__,
        "versions": {p: _version(p) for p in _PACKAGES},
        "process": asdict(process),  # every field: settings, matching, mass scan
        "request": req,
        "events": request.n,
        "pool_version": POOL_VERSION,
        "detector": {
            "calo": asdict(det.calo),
            "response": {k: v for k, v in asdict(det.response).items() if not k.startswith("_")},
            "muons": {k: v for k, v in asdict(det.muons).items() if not k.startswith("_")},
            "sources": asdict(det.sources),  # muon sources and their forced-crossing weights
        },
    }
    return dict(json.loads(json.dumps(out, sort_keys=True)))


def stored_recipe(prov: dict[str, Any]) -> dict[str, Any]:
    """The recipe keys of a stored provenance (what :func:`recipe` would have given when it was made)."""
    return {k: prov.get(k) for k in _RECIPE_KEYS}


_RECIPE_KEYS = ("l1emu", "versions", "process", "request", "events", "pool_version", "detector")


def provenance(
    request: Request,
    process: Process,
    pool: MinBiasPool | None,
    stitching: dict[str, Any],
) -> dict[str, Any]:
    from trigger.samples.pileup import POOL_VERSION

    return {
        **recipe(request, process),
        "pileup": {
            "mu": request.mu,
            "pool": None
            if pool is None
            else {
                "version": POOL_VERSION,
                "size": pool.size,
                "seed": request.pool_seed,
                "digest": pool.digest(),
                "sigma_inel_mb": pool.sigma_mb,
            },
        },
        "stitching": stitching,
    }
