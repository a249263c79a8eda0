"""Training toolkit for the trigger networks: quantization-aware layers, pruning, conversion, precision scans.

Keras 3 (any backend; tested on tensorflow) with the project's fixed-point rules: a QAT model's
quantized forward pass is what ``run_fixed`` computes on :func:`to_description` of it, bit for bit
(``exact_forward`` evaluates it in float64).  See ``trigger/train/README.md``.
"""

from __future__ import annotations

from trigger.train.convert import exact_forward, load_qat_model, qat_precisions, to_description
from trigger.train.layers import QACTIVATIONS, QActivation, QDense, QInput
from trigger.train.mlp import DEFAULT_ACTIVATION, DEFAULT_WEIGHT, qat_mlp
from trigger.train.prune import ConstantSparsity, PolynomialDecay, Pruning, PruningSchedule, prune_layer, sparsity
from trigger.train.quantize import as_type, fixed_quantize
from trigger.train.scan import PrecisionScan, accuracy, plot_precision_scan, precision_scan

__all__ = [
    "DEFAULT_ACTIVATION",
    "DEFAULT_WEIGHT",
    "QACTIVATIONS",
    "ConstantSparsity",
    "PolynomialDecay",
    "PrecisionScan",
    "Pruning",
    "PruningSchedule",
    "QActivation",
    "QDense",
    "QInput",
    "accuracy",
    "as_type",
    "exact_forward",
    "fixed_quantize",
    "load_qat_model",
    "plot_precision_scan",
    "precision_scan",
    "prune_layer",
    "qat_mlp",
    "qat_precisions",
    "sparsity",
    "to_description",
]
