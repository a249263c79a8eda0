"""Optional heavy dependencies behind one helper, as uproot's ``extras.py`` does.

The core install reads files and computes rates; generation (``gen``: Pythia 8, FastJet), Dask,
plotting and Keras are extras, imported only by the feature that needs them.

>>> import_optional("json", "none").__name__
'json'
>>> require_extra("gen", "test", modules=("json",))
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType

from trigger.errors import MissingExtraError

__all__ = ["EXTRA_MODULES", "import_optional", "require_extra"]

#: extra -> the modules it installs (the extras themselves are listed in pyproject.toml)
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "gen": ("pythia8mc", "fastjet"),
    "dask": ("dask", "distributed"),
    "plot": ("matplotlib", "mplhep"),
    "keras": ("keras",),
}
_EXTRA = {module: extra for extra, modules in EXTRA_MODULES.items() for module in modules}


def import_optional(module: str, extra: str | None = None) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` (a ``ModuleNotFoundError``) saying which extra
    installs it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        name = extra or _EXTRA.get(module.split(".")[0], module)
        raise MissingExtraError(
            f"{module} is needed for this feature but is not installed; "
            f"install it with: pip install 'l1emu[{name}]'  (or pip install {module.split('.')[0]})"
        ) from exc


def require_extra(extra: str, feature: str, modules: Sequence[str] | None = None) -> None:
    """Import every module of ``extra`` up front, so ``feature`` fails at once with what to install
    instead of deep inside a worker process."""
    missing = []
    for module in EXTRA_MODULES[extra] if modules is None else modules:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise MissingExtraError(
            f"{feature} needs {' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not installed; "
            f"install them with: pip install 'l1emu[{extra}]'"
        )
