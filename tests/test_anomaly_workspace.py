"""The event loop's reused buffers (algorithms/anomaly/workspace.py): what a chunk returned survives the next chunk."""

from __future__ import annotations

import numpy as np

from algorithms.anomaly import DEFAULT_DIR, load_ae
from algorithms.anomaly.model import ScaledInputs
from algorithms.anomaly.workspace import buffer


def test_buffer_is_reused_per_name_and_grows() -> None:
    a = buffer("test.a", 100, np.float32)
    assert buffer("test.a", 50, np.float32).base is a.base  # the same memory
    assert buffer("test.b", 50, np.float32).base is not a.base
    assert buffer("test.a", 1000, np.float32).size == 1000  # grown: new memory


def test_scores_of_one_chunk_survive_the_next() -> None:
    ae = load_ae(DEFAULT_DIR)
    rng = np.random.default_rng(3)
    first, second = (np.abs(rng.normal(20, 15, (57, 700))) for _ in range(2))  # pt-like raw inputs
    kept = ScaledInputs(ae.scale, first, reuse=True)
    scores = [kept.float(ae.network, ae.score), kept.fixed(ae.network, ae.score)]
    other = ScaledInputs(ae.scale, second, reuse=True)  # overwrites the buffers `kept` used
    other.float(ae.network, ae.score)
    other.fixed(ae.network, ae.score)
    fresh = ScaledInputs(ae.scale, first)
    assert scores[0].tolist() == fresh.float(ae.network, ae.score).tolist()
    assert scores[1].tolist() == fresh.fixed(ae.network, ae.score).tolist()
    assert scores[0].tolist() != other.float(ae.network, ae.score).tolist()
