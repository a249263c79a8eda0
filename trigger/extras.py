"""Optional heavy dependencies behind one helper, as uproot's ``extras.py`` does.

>>> import_optional("json", "none").__name__
'json'
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["import_optional"]

_EXTRA = {
    "dask": "dask",
    "distributed": "dask",
    "matplotlib": "plot",
    "mplhep": "plot",
}


def import_optional(module: str, extra: str | None = None) -> ModuleType:
    """Import ``module`` or raise ``ModuleNotFoundError`` that says which extra installs it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        name = extra or _EXTRA.get(module.split(".")[0], module)
        raise ModuleNotFoundError(
            f"{module} is needed for this feature but is not installed; "
            f"install it with: pip install 'l1emu[{name}]'  (or pip install {module.split('.')[0]})"
        ) from exc
