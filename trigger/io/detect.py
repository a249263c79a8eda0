"""Pick the built-in schema that matches a file when the user gives none."""

from __future__ import annotations

from trigger.errors import ConfigError
from trigger.io.builtin import BUILTIN
from trigger.io.files import branch_map, expand_inputs, open_tree
from trigger.io.schema import Schema, builtin_schema

__all__ = ["detect_schema"]


def detect_schema(inputs: list[str], tree: str | None = None) -> Schema:
    """The built-in schema with the most of its branches in the first file, among those for which the
    file holds at least one complete collection (pt, eta, phi); a file matching none asks for ``--schema``.
    """
    path = expand_inputs(inputs)[0]
    best: tuple[int, Schema] | None = None
    for name in BUILTIN:
        schema = builtin_schema(name)
        try:
            ttree, _ = open_tree(path, (tree,) if tree else schema.trees)
        except Exception:
            continue
        available = branch_map(ttree).keys()
        complete = any(c.branches(("pt", "eta", "phi")) <= available for c in schema.collections.values())
        every = schema.branches_for({c: tuple(s.fields) for c, s in schema.collections.items()}, schema.sums)
        score = len(every & available)
        if complete and (best is None or score > best[0]):
            best = (score, schema)
    if best is None:
        raise ConfigError(
            f"{path}: cannot tell which schema it follows (built-ins: {', '.join(BUILTIN)}); "
            "pass --schema NAME or --schema my_schema.yaml"
        )
    return best[1]
