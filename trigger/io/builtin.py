"""Built-in schemas: YAML files of the same form as a user's schema, shipped in ``trigger/io/schemas/``.

``l1upgrade.yaml`` (CMS L1Ntuple), ``l1nano.yaml`` (central NanoAOD's reduced L1 tables),
``l1nano_full.yaml`` (the full L1 tables) and ``nanoaod.yaml`` (offline NanoAOD) say in their comments
where each convention comes from. The ``l1emu`` schema is not written
out: it is derived from the sample format description (:mod:`trigger.io.sample_format`, the same
``schemas/l1emu.yaml`` the sample writer declares its tree from).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from trigger.io.sample_format import sample_format

__all__ = ["BUILTIN"]

#: in detection order (a tie goes to the first)
_FILES = ("l1upgrade", "l1nano", "l1nano_full", "nanoaod")


def _load(name: str) -> dict[str, Any]:
    text = resources.files("trigger.io").joinpath(f"schemas/{name}.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


BUILTIN: dict[str, dict[str, Any]] = {
    # the project's own generated samples: derived from their format description (trigger/io/schemas/l1emu.yaml)
    "l1emu": sample_format().reader_schema("l1emu"),
    **{name: _load(name) for name in _FILES},
}
