"""Pick the built-in schema that matches a file when the user gives none."""

from __future__ import annotations

from trigger.errors import ConfigError
from trigger.io.builtin import BUILTIN
from trigger.io.files import branch_map, expand_inputs, open_tree
from trigger.io.schema import Schema, builtin_schema

__all__ = ["detect_schema"]


def detect_schema(inputs: list[str], tree: str | None = None) -> Schema:
    """The built-in schema whose sums and pt/eta/phi branches the first readable file has most of.

    Ties go to the schema with more collections; a file matching no built-in asks for ``--schema``.
    """
    path = expand_inputs(inputs)[0]
    best: tuple[float, int, Schema] | None = None
    for name in BUILTIN:
        schema = builtin_schema(name)
        try:
            ttree, _ = open_tree(path, (tree,) if tree else schema.trees)
        except Exception:
            continue
        available = branch_map(ttree)
        needed = schema.required_branches() | {b for s in schema.sums.values() for b in s.branches(schema)}
        score = len(needed & available.keys()) / len(needed)
        if best is None or (score, len(schema.collections)) > best[:2]:
            best = (score, len(schema.collections), schema)
    if best is None or best[0] < 0.5:
        raise ConfigError(
            f"{path}: cannot tell which schema it follows (built-ins: {', '.join(BUILTIN)}); "
            "pass --schema NAME or --schema my_schema.yaml"
        )
    return best[2]
