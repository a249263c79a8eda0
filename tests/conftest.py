from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def toy_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 000 weighted toy events in the project's sample schema."""
    from trigger.io.synthetic import write_sample

    return write_sample(tmp_path_factory.mktemp("toy") / "toy.root", 20_000, seed=7, chunk=5_000)


@pytest.fixture(scope="session")
def toy_sample_unweighted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from trigger.io.synthetic import write_sample

    return write_sample(tmp_path_factory.mktemp("toyu") / "toy_u.root", 6_000, seed=11, weighted=False, chunk=3_000)
