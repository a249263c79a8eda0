"""Shared fixtures' helpers for the event-loop tests: sample files, menus, paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
DEFAULT_MENU = REPO / "configs" / "menus" / "l1_menu_default.yaml"


def write_events(path: Path, columns: dict[str, Any]) -> Path:
    """A tiny ``Events`` TTree in the project's sample schema from python lists (mktree + extend)."""
    import uproot

    data: dict[str, Any] = {}
    groups: dict[str, dict[str, ak.Array]] = {}
    for key, value in columns.items():
        arr = ak.Array(value)
        if arr.ndim > 1:
            prefix, field = key.split("_", 1)
            groups.setdefault(prefix, {})[field] = arr
        else:
            data[key] = np.asarray(arr)
    for prefix, fields in groups.items():
        data[prefix] = ak.zip(fields)
    with uproot.recreate(path) as f:
        types = {k: (v.type if isinstance(v, ak.Array) else v.dtype) for k, v in data.items()}
        f.mktree("Events", types)
        f["Events"].extend(data)
    return path


def without_cluster(src: Path, dst: Path) -> Path:
    """``src`` rewritten by plain uproot without its cluster branch: a file from before the branch."""
    import uproot

    with uproot.open(src) as f:
        t = f["Events"]
        keys = set(t.keys())
        names = [k for k in keys if k != "cluster" and not (k.startswith("n") and f"{k[1:]}_pt" in keys)]
        arrays = t.arrays(names, library="ak", how=dict)
    return write_events(dst, arrays)


def menu_yaml(path: Path, seeds: str, extra: str = "") -> Path:
    text = f"menu_version: 1\nname: test_menu\n{extra}seeds:\n{seeds}"
    path.write_text(text)
    return path
