"""Domain exceptions, in one place.

Each subclasses a builtin so callers can catch what they already know (``ValueError``, ``KeyError``),
and each message says what was wrong, where, and what to do about it.
"""

from __future__ import annotations

__all__ = [
    "AlgorithmError",
    "BadInputFileError",
    "ConfigError",
    "CsimError",
    "EmptyInputError",
    "FixedPointError",
    "FixedTypeSyntaxError",
    "L1EmuError",
    "MissingBranchError",
    "MissingExtraError",
    "ModelError",
    "OutputError",
    "ProjectExistsError",
    "SampleError",
    "ToolchainError",
    "UnknownAlgorithmError",
    "UnknownNameError",
    "UnknownProcessError",
    "UnknownSeedError",
    "UnsupportedFixedType",
    "WeightError",
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


class MissingExtraError(L1EmuError, ModuleNotFoundError):
    """An optional dependency is not installed; the message names the extra that installs it
    (``pip install 'l1emu[gen]'``)."""


class ConfigError(L1EmuError, ValueError):
    """A configuration (YAML menu, schema, HLS config) is invalid; the message gives the file, the key path
    and what was expected."""


class ModelError(L1EmuError, ValueError):
    """A network cannot be described or emulated: unsupported layer, bad shape, invalid reuse factor."""


class SampleError(L1EmuError, RuntimeError):
    """Sample production failed (generator initialisation, pile-up pool, writing)."""


class UnknownProcessError(L1EmuError, KeyError):
    """A process name not in the catalogue (``l1emu generate --list`` shows them)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class BadInputFileError(L1EmuError, OSError):
    """An input file is missing, unreadable, corrupt or lacks the requested tree."""


class EmptyInputError(L1EmuError, ValueError):
    """The inputs hold no events (after ``--max-events`` and skipped files)."""


class WeightError(L1EmuError, ValueError):
    """The event weights cannot normalise a rate: their sum is negative, zero or not finite."""


class UnknownNameError(L1EmuError, KeyError):
    """A name (branch, seed, algorithm, collection) was not found; the message suggests the nearest ones.

    ``KeyError`` quotes its argument when printed; ``__str__`` returns the message unquoted.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class MissingBranchError(UnknownNameError):
    """A branch the schema or menu needs is not in the tree."""


class UnknownSeedError(UnknownNameError):
    """A seed name is not in the menu."""


class UnknownAlgorithmError(UnknownNameError):
    """An algorithm seed names an algorithm that is not registered."""


class AlgorithmError(L1EmuError, RuntimeError):
    """An algorithm seed failed while evaluating a chunk."""


class OutputError(L1EmuError, OSError):
    """A report could not be written."""


class ProjectExistsError(L1EmuError, FileExistsError):
    """An HLS project directory already exists and ``force`` was not given."""


class CsimError(L1EmuError, RuntimeError):
    """A C simulation could not be built or run, or a project directory is incomplete."""
