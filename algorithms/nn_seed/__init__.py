"""A generic neural-network algorithm seed: any Keras model plus its fixed-point configuration.

Inputs are named features, concatenated in the order given:

* per event: ``{sum: HT}`` (an energy sum) or ``{event: nPileup}`` (a per-event branch);
* per object: ``{collection: jets, fields: [pt, eta, phi], slots: 4}`` -- the leading ``slots``
  objects in pt order (optionally after ``min_pt``/``max_abs_eta``), object-major
  (``jet0.pt, jet0.eta, jet0.phi, jet1.pt, ...``), zero-padded; events with more objects are
  truncated in pt order and counted.

The network runs through :mod:`trigger.nn`: ``run_float`` for the float decision and the
bit-accurate ``run_fixed`` for the fixed one, so the seed's fixed rate is the firmware's.  Menu use::

    L1_NN_Example:
      algorithm:
        name: nn
        output: score
        min: 0.5
        mode: both
        options:
          model: models/my_net.keras
          config: configs/hls/my_net.yaml      # optional; `auto` precisions need a calibration file
          calibration: data/calib.npy          # optional (batch, n_inputs)
          inputs: [{collection: jets, fields: [pt, eta], slots: 4}, {sum: HT}]
          outputs: [score]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from trigger.io.reader import Chunk, Needs
from trigger.menu.algorithm import AlgorithmOutput, register_algorithm
from trigger.nn import ModelDescription, from_keras, run_fixed, run_float

__all__ = ["Feature", "NNSeed", "parse_inputs"]


@dataclass(frozen=True)
class Feature:
    """One input block: a sum, an event branch, or ``slots`` objects x ``fields``."""

    kind: str  # "sum" | "event" | "objects"
    name: str
    fields: tuple[str, ...] = ()
    slots: int = 1
    min_pt: float = 0.0
    max_abs_eta: float = float("inf")

    @property
    def width(self) -> int:
        return self.slots * len(self.fields) if self.kind == "objects" else 1


def parse_inputs(specs: Any) -> tuple[Feature, ...]:
    """Validate the ``inputs`` option; errors say which entry and what is expected."""
    if not isinstance(specs, Sequence) or isinstance(specs, str) or not specs:
        raise ValueError("inputs must be a non-empty list of {sum: NAME}, {event: NAME} or {collection: ...}")
    features = []
    for i, spec in enumerate(specs):
        where = f"inputs[{i}]"
        if not isinstance(spec, Mapping):
            raise ValueError(f"{where}: expected a mapping, got {spec!r}")
        if "sum" in spec or "event" in spec:
            kind = "sum" if "sum" in spec else "event"
            features.append(Feature(kind, str(spec[kind])))
            continue
        if "collection" not in spec:
            raise ValueError(f"{where}: expected one of the keys sum, event, collection; got {sorted(spec)}")
        fields = spec.get("fields", ["pt", "eta", "phi"])
        slots = spec.get("slots", 1)
        if not isinstance(slots, int) or slots < 1:
            raise ValueError(f"{where}.slots: expected a positive integer, got {slots!r}")
        if not isinstance(fields, Sequence) or isinstance(fields, str) or not fields:
            raise ValueError(f"{where}.fields: expected a non-empty list of field names, got {fields!r}")
        features.append(
            Feature(
                "objects",
                str(spec["collection"]),
                tuple(str(f) for f in fields),
                slots,
                float(spec.get("min_pt", 0.0)),
                float(spec.get("max_abs_eta", float("inf"))),
            )
        )
    return tuple(features)


class NNSeed:
    """The ``nn`` algorithm: features from a chunk -> one network, evaluated in float and fixed point."""

    name: str = "nn"

    def __init__(self, model: ModelDescription, inputs: tuple[Feature, ...], outputs: tuple[str, ...]) -> None:
        width = sum(f.width for f in inputs)
        if width != model.n_inputs:
            raise ValueError(f"the inputs give {width} features but model {model.name} takes {model.n_inputs}")
        if len(outputs) != model.n_outputs:
            raise ValueError(f"outputs names {len(outputs)} values but model {model.name} has {model.n_outputs}")
        self.model, self.inputs, self.outputs = model, inputs, outputs

    def needs(self) -> Needs:
        collections: dict[str, frozenset[str]] = {}
        for f in self.inputs:
            if f.kind == "objects":
                collections[f.name] = collections.get(f.name, frozenset()) | {"pt", "eta", *f.fields}
        sums = frozenset(f.name for f in self.inputs if f.kind == "sum")
        events = frozenset(f.name for f in self.inputs if f.kind == "event")
        return Needs(collections, sums, events)

    def features(self, chunk: Chunk) -> tuple[NDArray[np.float64], int]:
        """The (n_events, n_inputs) matrix and the number of events truncated to the slots."""
        blocks, truncated = [], np.zeros(chunk.n, dtype=bool)
        for f in self.inputs:
            if f.kind == "sum":
                blocks.append(np.asarray(chunk.sums[f.name], dtype=np.float64)[:, None])
            elif f.kind == "event":
                blocks.append(np.asarray(chunk.event[f.name], dtype=np.float64)[:, None])
            else:
                objs = chunk.collections[f.name]
                objs = objs[(objs.pt >= f.min_pt) & (abs(objs.eta) <= f.max_abs_eta)]
                objs = objs[ak.argsort(objs.pt, axis=1, ascending=False)]
                truncated |= np.asarray(ak.num(objs, axis=1)) > f.slots
                lead = objs[:, : f.slots]
                for slot in range(f.slots):
                    present = np.asarray(ak.num(lead, axis=1)) > slot
                    for name in f.fields:
                        column = ak.fill_none(ak.pad_none(lead[name], f.slots, axis=1, clip=True)[:, slot], 0.0)
                        values = np.asarray(ak.to_numpy(column), dtype=np.float64)
                        blocks.append(np.where(present, values, 0.0)[:, None])
        matrix = np.concatenate(blocks, axis=1) if blocks else np.zeros((chunk.n, 0))
        return np.nan_to_num(matrix, nan=0.0, posinf=0.0, neginf=0.0), int(truncated.sum())

    def evaluate(self, chunk: Chunk, mode: str) -> AlgorithmOutput:
        x, truncated = self.features(chunk)
        out = AlgorithmOutput(truncated=truncated)
        if mode in ("float", "both"):
            y = run_float(self.model, x)
            out.float = {name: y[:, k] for k, name in enumerate(self.outputs)}
        if mode in ("fixed", "both"):
            y = run_fixed(self.model, x).to_float()
            out.fixed = {name: y[:, k] for k, name in enumerate(self.outputs)}
        return out


@register_algorithm("nn")
def _make(
    model: str | ModelDescription,
    inputs: Sequence[Mapping[str, Any]],
    config: str | Mapping[str, Any] | None = None,
    calibration: str | None = None,
    outputs: Sequence[str] | None = None,
) -> NNSeed:
    features = parse_inputs(inputs)
    if isinstance(model, ModelDescription):
        described = model
    else:
        path = Path(model)
        if not path.is_file():
            raise ValueError(f"model file {path} does not exist (expected a Keras 3 .keras file)")
        calib = None
        if calibration is not None:
            from trigger.cli.nn import load_samples

            calib = load_samples(Path(calibration))
        described = from_keras(path, dict(config) if isinstance(config, Mapping) else config, calib)
    names = tuple(outputs) if outputs else tuple(f"out{k}" for k in range(described.n_outputs))
    return NNSeed(described, features, names)
