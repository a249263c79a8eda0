"""The command line's argument types live in :mod:`trigger.argtypes` (algorithm plugins use them too)."""

from trigger.argtypes import MAX_WORKERS, count, number

__all__ = ["MAX_WORKERS", "count", "number"]
