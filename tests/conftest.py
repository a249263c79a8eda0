from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generation cache (pools, Pythia MPI initialisation) for every sample test of the session.

    Under pytest-xdist (``make test``) each worker has its own, in its own base temp. A second worker that needs
    one pays ~11 s of one core once (the minimum-bias MPI initialisation ~8 s and the 300-entry pool ~3 s); sharing
    one directory would need a lock around every write, since Pythia writes the MPI file in place (not atomically)
    and tests/test_samples_cache.py damages a cached pool on purpose."""
    return tmp_path_factory.mktemp("l1emu-cache")


@pytest.fixture(scope="session")
def toy_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 000 weighted toy events in the project's sample schema."""
    from trigger.io.synthetic import write_sample

    return write_sample(tmp_path_factory.mktemp("toy") / "toy.root", 20_000, seed=7, chunk=5_000)


@pytest.fixture(scope="session")
def toy_sample_unweighted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from trigger.io.synthetic import write_sample

    return write_sample(tmp_path_factory.mktemp("toyu") / "toy_u.root", 6_000, seed=11, weighted=False, chunk=3_000)


IMPLEMENTATIONS = ("float", "fixed", "hls")


@pytest.fixture(params=IMPLEMENTATIONS)
def impl(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Backend-parametrized physics tests (pyhf's ``backend``): ``impl(algorithm, chunk)`` gives the
    algorithm's per-event outputs in float, in fixed point (the emulator), or from the g++ C simulation
    of its exported firmware on the same rows (which must agree with the emulator bit for bit).
    Opt out with ``@pytest.mark.impls("float", "fixed")``."""
    marker = request.node.get_closest_marker("impls")
    if marker is not None and request.param not in marker.args:
        pytest.skip(f"not run on the {request.param} implementation")
    kind = request.param

    def run(algorithm: Any, chunk: Any) -> dict[str, Any]:
        from trigger.menu import Mode

        if kind == "float":
            return dict(algorithm.evaluate(chunk, Mode.FLOAT).float)
        if kind == "fixed":
            return dict(algorithm.evaluate(chunk, Mode.FIXED).fixed)
        from hls.csim import csim_model

        x = algorithm.firmware_inputs(chunk)
        report = csim_model(algorithm.firmware(), x=x, directory=tmp_path_factory.mktemp("impl") / "prj")
        assert report.mismatches == 0, report.summary()
        return {name: report.cpp_values[:, k] for k, name in enumerate(algorithm.outputs)}

    run.kind = kind  # type: ignore[attr-defined]
    return run
