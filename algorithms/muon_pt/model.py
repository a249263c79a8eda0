"""The shipped regressor: firmware descriptions under ``configs/algorithms/muon_pt`` and what its output means.

The network regresses ``y = OUTPUT_SCALE * q / pT`` (``q`` = +-1): ``|y| <= 16`` for pT >= 2 GeV fits the
output word ``ap_fixed<16,6>`` with 10 fractional bits, i.e. a q/pT step of 3.1e-5 per GeV (0.07 % of
q/pT at 22 GeV, 0.8 % at 255 GeV). The assigned pT is ``OUTPUT_SCALE / |y|`` (the firmware's reciprocal
table), with ``|y|`` floored at one output LSB; the charge is the sign of ``y``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from trigger.nn import ModelDescription
from trigger.nn.layers import ScaleLayer
from trigger.nn.shipped import compose as _compose
from trigger.nn.shipped import load_description as _load
from trigger.nn.shipped import quantized_float, save_description

__all__ = [
    "DEFAULT_DIR",
    "OUTPUT_LSB",
    "OUTPUT_SCALE",
    "VARIANTS",
    "compose",
    "load_description",
    "pt_from_output",
    "quantized_float",
    "save_description",
]

#: configs/algorithms/muon_pt of this checkout
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "configs" / "algorithms" / "muon_pt"
#: shipped variants: QAT (the firmware), and the float network post-training quantized
VARIANTS = ("qat", "ptq")
OUTPUT_SCALE = 32.0
OUTPUT_LSB = 2.0**-10


def pt_from_output(y: ArrayLike) -> NDArray[np.float64]:
    """Assigned pT (GeV) from the network output ``y = OUTPUT_SCALE * q / pT``."""
    return np.asarray(OUTPUT_SCALE / np.maximum(np.abs(np.asarray(y, dtype=np.float64)), OUTPUT_LSB))


def compose(name: str, scale: ScaleLayer, network: ModelDescription) -> ModelDescription:
    """Scaling then network: one description from the integer station inputs to ``y``."""
    return _compose(name, "muon", scale, network)


def load_description(directory: Path, stem: str) -> ModelDescription:
    """A shipped description; a missing file says which command makes it."""
    return _load(directory, stem, f"l1emu train muon-pt -o {directory}")
