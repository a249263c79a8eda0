"""What made a sample: versions, settings, seed, pile-up, detector model, stitching.

No wall-clock time, host name, path or worker count goes in, so the same request gives the same
file content however and wherever it runs.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trigger import __version__

if TYPE_CHECKING:
    from trigger.samples.pileup import MinBiasPool
    from trigger.samples.processes import Process
    from trigger.samples.production import Request

__all__ = ["code_digest", "provenance", "recipe", "stored_recipe"]

_PACKAGES = ("pythia8mc", "fastjet", "uproot", "awkward", "numpy")
# the modules whose code makes a sample's content (the detector model and the event record): their module-level
# constants and logic are not dataclass fields, so the detector's fields alone would miss an edit of them
_MODEL_MODULES = (
    "calo", "events", "geometry", "muon_sources", "muons", "pileup", "production", "pythia", "response",
    "substructure", "writer",
)  # fmt: skip


def code_digest(paths: tuple[Path, ...]) -> str:
    """SHA-256 of the Python modules at ``paths`` as parsed code: comments, docstrings and layout do not count,
    every other change (a constant, a branch, a message) does."""
    h = hashlib.sha256()
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (
                isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                and isinstance(body, list)
                and body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
        h.update(path.name.encode() + b"\0" + ast.dump(tree).encode() + b"\0")
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def _model_code() -> str:
    here = Path(__file__).resolve().parent
    return code_digest(tuple(here / f"{name}.py" for name in _MODEL_MODULES))


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "absent"


def recipe(request: Request, process: Process) -> dict[str, Any]:
    """The part of the provenance known before generating: everything the content depends on.

    A cached sample whose stored recipe differs (another process setting, detector model or its code, pool
    format or package version) is stale, even when its request is the same. JSON-normalised, as read back.
    """
    from trigger.samples.pileup import POOL_VERSION
    from trigger.samples.production import request_dict

    req = request_dict(request)
    req.pop("cache_dir")
    req.pop("workers")  # the content does not depend on it
    out = {
        "l1emu": __version__,
        "versions": {p: _version(p) for p in _PACKAGES},
        "process": asdict(process),  # every field: settings, matching, mass scan
        "request": req,
        "events": request.n,
        "pool_version": POOL_VERSION,
        "code": _model_code(),
        "detector": _detector_settings(),
    }
    return dict(json.loads(json.dumps(out, sort_keys=True)))


@functools.lru_cache(maxsize=1)
def _detector_settings() -> dict[str, Any]:
    """The default detector model's settings, once per process: building it (its look-up tables and
    the muon system's calibration gun) takes ~1 s, and every sample's recipe holds them. The detector is
    the one an in-process generation then runs (production's per-process model), not a second build."""
    from trigger.samples.production import _detector

    det = _detector()
    return {
        "calo": asdict(det.calo),
        "response": {k: v for k, v in asdict(det.response).items() if not k.startswith("_")},
        "muons": {k: v for k, v in asdict(det.muons).items() if not k.startswith("_")},
        "sources": asdict(det.sources),  # muon sources and their forced-crossing weights
    }


def stored_recipe(prov: dict[str, Any]) -> dict[str, Any]:
    """The recipe keys of a stored provenance (what :func:`recipe` would have given when it was made)."""
    return {k: prov.get(k) for k in _RECIPE_KEYS}


_RECIPE_KEYS = ("l1emu", "versions", "process", "request", "events", "pool_version", "code", "detector")


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
