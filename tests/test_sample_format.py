"""One description of the sample format (trigger/io/schemas/l1emu.yaml): the files the sample writer and the
toy generator write hold exactly its branches with its types (checked with plain yaml + uproot), and the
reader's built-in schema reads every one of them back unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uproot

from tests.sample_layout import assert_exact_layout, expected_typenames, format_yaml, minimal_chunk
from trigger.errors import ConfigError, SampleError


def test_toy_file_has_exactly_the_format(tmp_path: Path) -> None:
    from trigger.io.synthetic import write_sample

    assert_exact_layout(write_sample(tmp_path / "toy.root", 700, seed=3, chunk=300))


def test_sample_writer_file_has_exactly_the_format(tmp_path: Path) -> None:
    """A real sample: the muon gun without pile-up needs no Pythia and takes a second."""
    from trigger.samples.production import Request, generate

    out = tmp_path / "gun.root"
    generate(Request("muon-gun", 40, seed=2, mu=0.0, workers=1, chunk=20, cache_dir=tmp_path), out, progress=False)
    assert_exact_layout(out)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.update(L1Jet_bx=np.zeros(3, np.int32)), r"\['L1Jet_bx'\] that .*l1emu\.yaml does not declare"),
        (lambda c: c.pop("pthat"), r"lacks \['pthat'\] of group 'event'"),
        (lambda c: c.update(nPileup=np.zeros(3, np.int64)), r"nPileup: .*l1emu\.yaml declares int32, .* int64"),
        (lambda c: c.update(L1EG=c["L1EG"][["pt", "eta", "phi"]]), r"L1EG: expected fields"),
    ],
)
def test_writer_refuses_a_chunk_the_format_does_not_declare(tmp_path: Path, change: Any, message: str) -> None:
    from trigger.samples.writer import write_root

    write_root(tmp_path / "ok.root", [minimal_chunk()], {})
    assert set(uproot.open(tmp_path / "ok.root")["Events"].keys()) == set(expected_typenames())
    bad = minimal_chunk()
    change(bad)
    with pytest.raises(SampleError, match=message):
        write_root(tmp_path / "bad.root", [minimal_chunk(), bad], {})
    assert not (tmp_path / "bad.root").exists()


def test_a_bad_format_description_names_the_key() -> None:
    from trigger.io.sample_format import parse_format

    doc = format_yaml()
    doc["groups"]["L1Mu"]["branches"]["L1Mu_qual"]["read"] = "muons.quality.bits"
    with pytest.raises(ConfigError, match=r"groups\.L1Mu\.branches\.L1Mu_qual\.read: expected weight, cluster, event"):
        parse_format(doc, "fmt.yaml")
    doc = format_yaml()
    doc["groups"]["L1Jet"]["branches"]["L1Jet_pt"] = "float16"
    with pytest.raises(ConfigError, match=r"L1Jet_pt\.type: expected one of int32, int64, float32, float64"):
        parse_format(doc, "fmt.yaml")


def test_the_format_is_package_data() -> None:
    """setuptools ships trigger/io/schemas/*.yaml (pyproject package-data), where the loader looks."""
    import tomllib

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    data = pyproject["tool"]["setuptools"]["package-data"]["trigger"]
    assert any(Path("io/schemas/l1emu.yaml").match(pattern) for pattern in data)
    assert not (Path(__file__).parents[1] / "configs" / "formats").exists()
