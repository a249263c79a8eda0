"""The shipped tagger: firmware descriptions (JSON + .npz, no pickle) under ``configs/algorithms/jet_tagger``.

A description is the scaling layer (:mod:`trigger.features.scaling`) followed by the trained
network, converted once at training time (``l1emu train jet-tagger``; :mod:`trigger.nn.shipped`).
"""

from __future__ import annotations

from pathlib import Path

from trigger.nn import ModelDescription
from trigger.nn.layers import ScaleLayer
from trigger.nn.shipped import compose as _compose
from trigger.nn.shipped import load_description as _load
from trigger.nn.shipped import quantized_float, save_description

__all__ = ["DEFAULT_DIR", "VARIANTS", "compose", "load_description", "quantized_float", "save_description"]

#: configs/algorithms/jet_tagger of this checkout
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "configs" / "algorithms" / "jet_tagger"
#: shipped variants: QAT with 6-bit weights, the same pruned to 75 %, and the float model post-training
#: quantized to ap_fixed<16,6>
VARIANTS = ("qat", "qat_pruned", "ptq")


def compose(name: str, scale: ScaleLayer, network: ModelDescription) -> ModelDescription:
    """Scaling then network: one description from the raw inputs to the class scores."""
    return _compose(name, "jet", scale, network)


def load_description(directory: Path, stem: str) -> ModelDescription:
    """A shipped description; a missing file says which command makes it."""
    return _load(directory, stem, f"l1emu train jet-tagger -o {directory}")
