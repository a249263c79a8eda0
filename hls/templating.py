"""The one jinja2 environment for every C++ file this package renders (strict: a missing name is an error)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

__all__ = ["TEMPLATES", "environment"]

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment(subdir: str = "") -> jinja2.Environment:
    """Templates under ``hls/templates/<subdir>``, rendered with C++-friendly whitespace handling."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES / subdir if subdir else TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
