"""l1emu's framework: ROOT I/O, event loop, menus, seeds, rates, fixed-point types and the CLI."""

from __future__ import annotations

__all__ = ["__version__"]
__version__ = "0.1.0"
