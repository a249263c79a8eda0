"""Domain exceptions, in one place.

Each subclasses a builtin so callers can catch what they already know (``ValueError``, ``KeyError``),
and each message says what was wrong, where, and what to do about it.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "CsimError",
    "FixedPointError",
    "FixedTypeSyntaxError",
    "L1EmuError",
    "ModelError",
    "ProjectExistsError",
    "ToolchainError",
    "UnsupportedFixedType",
]


class L1EmuError(Exception):
    """Base of every error this project raises on purpose."""


class FixedPointError(L1EmuError, ValueError):
    """A fixed-point operation got values or types it cannot handle exactly."""


class FixedTypeSyntaxError(FixedPointError):
    """A C++ type spelling such as ``ap_fixed<16,6,AP_RND>`` could not be parsed."""


class UnsupportedFixedType(FixedPointError):
    """A valid ap_types type that this emulator does not (yet) reproduce bit for bit."""


class ToolchainError(L1EmuError, RuntimeError):
    """g++ or the ap_types headers are missing or failed; the message says how to get them."""


class ConfigError(L1EmuError, ValueError):
    """A configuration (YAML or dict) is invalid; the message names the file and the key path."""


class ModelError(L1EmuError, ValueError):
    """A network cannot be described or emulated: unsupported layer, bad shape, invalid reuse factor."""


class ProjectExistsError(L1EmuError, FileExistsError):
    """An HLS project directory already exists and ``force`` was not given."""


class CsimError(L1EmuError, RuntimeError):
    """A C simulation could not be built or run, or a project directory is incomplete."""
