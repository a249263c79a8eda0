"""Cached inputs are checked before reuse: sample files by content digest and recipe, the pool by digest.

Issue 14 item 8: a truncated or modified cached sample is never called "up to date", a sample made with
other process settings is remade, and a damaged pile-up pool is detected and regenerated.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import uproot

from tests.sample_layout import minimal_chunk
from trigger.cli import main
from trigger.errors import SampleError
from trigger.samples import processes, provenance
from trigger.samples.defaults import produce_all
from trigger.samples.pileup import MinBiasPool, pool_path
from trigger.samples.production import DEFAULT_POOL_SIZE, ensure_pool
from trigger.samples.writer import content_digest, read_provenance, verify, write_root


def _chunk(n: int, first: int) -> dict[str, np.ndarray]:
    chunk = minimal_chunk(n)
    chunk["event"] = np.arange(first, first + n, dtype=np.int64)
    return chunk


def test_digest_is_of_the_content_not_of_the_chunking(tmp_path: Path) -> None:
    one, two = tmp_path / "one.root", tmp_path / "two.root"
    write_root(one, [_chunk(7, 0)], {})
    write_root(two, [_chunk(3, 0), _chunk(4, 3)], {})
    assert content_digest(one) == content_digest(two)
    write_root(two, [_chunk(3, 0), _chunk(4, 4)], {})  # one event number differs
    assert content_digest(one) != content_digest(two)
    assert verify(one) is None


def test_truncated_edited_or_undigested_files_are_not_trusted(tmp_path: Path) -> None:
    good = tmp_path / "good.root"
    write_root(good, [_chunk(50, 0)], {"seed": 1})
    data = good.read_bytes()
    cut = tmp_path / "cut.root"
    cut.write_bytes(data[: len(data) // 2])
    assert f"truncated ({len(data) // 2} of the {len(data)} bytes" in str(verify(cut))  # what was cut, by the test
    with uproot.open(good) as f:  # a byte inside the first compressed basket of "event"
        key = f["Events"]["event"].basket_key(0)
        at = int(f["Events"]["event"].member("fBasketSeek")[0]) + key.fKeylen + key.fNbytes // 2
    flipped = tmp_path / "flipped.root"
    flipped.write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :])
    assert verify(flipped) is not None
    edited = tmp_path / "edited.root"  # same events but one value rewritten: the digest of the bytes read differs
    chunk = _chunk(50, 0)
    chunk["event"][10] = 999
    write_root(edited, [chunk], {"seed": 1})
    with uproot.open(good) as f:
        recorded = str(f["content_digest"])
    with uproot.update(edited) as f:
        del f["content_digest"]
        f["content_digest"] = recorded
    assert "differs from the recorded" in str(verify(edited))
    foreign = tmp_path / "foreign.root"
    with uproot.recreate(foreign) as f:
        f["Events"] = {"event": np.arange(3)}
    assert "no content digest" in str(verify(foreign))


def test_sample_list_remakes_corrupt_and_differently_made_samples(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "samples.yaml"
    cfg.write_text("version: 1\nsamples:\n  gun: {process: muon-gun, events: 30, mu: 0}\n")
    out = tmp_path / "out"
    assert [m for _, _, m in produce_all(cfg, out, cache, 1, False)] == [True]
    assert [m for _, _, m in produce_all(cfg, out, cache, 1, False)] == [False]
    sample = out / "gun.root"
    sample.write_bytes(sample.read_bytes()[:-2000])  # truncated in place
    assert [m for _, _, m in produce_all(cfg, out, cache, 1, False)] == [True]
    assert "gun.root: it is truncated" in capsys.readouterr().err
    assert verify(sample) is None
    gun = processes.PROCESSES["muon-gun"]
    monkeypatch.setitem(processes.PROCESSES, "muon-gun", dataclasses.replace(gun, description="another gun"))
    assert [m for _, _, m in produce_all(cfg, out, cache, 1, False)] == [True]  # same request, other process
    assert "made with other process" in capsys.readouterr().err
    assert read_provenance(sample)["process"]["description"] == "another gun"
    # an edit of the detector code that no dataclass field shows (a module constant) makes it stale too
    monkeypatch.setattr(provenance, "_model_code", lambda: "0" * 64)
    assert [m for _, _, m in produce_all(cfg, out, cache, 1, False)] == [True]
    assert "made with other code" in capsys.readouterr().err
    assert read_provenance(sample)["code"] == "0" * 64


def test_code_digest_ignores_comments_docstrings_and_layout_only(tmp_path: Path) -> None:
    def digest(text: str) -> str:
        (tmp_path / "m.py").write_text(text)
        return provenance.code_digest((tmp_path / "m.py",))

    base = digest('"""Doc."""\nSTEP = 0.05\n\n\ndef f(x):\n    """Why."""\n    return x * STEP\n')
    assert digest("STEP = 0.05  # m\n\ndef f(x):\n    return x*STEP\n") == base
    assert digest('"""Doc."""\nSTEP = 0.1\n\n\ndef f(x):\n    """Why."""\n    return x * STEP\n') != base
    assert digest('"""Doc."""\nSTEP = 0.05\n\n\ndef f(x):\n    """Why."""\n    return -x * STEP\n') != base
    assert digest('STEP = 0.05\n\n\ndef f(x):\n    "Other words."\n    return x * STEP\n') == base
    assert digest('"""Doc."""\nSTEP = 0.05\n\n\ndef f(x):\n    return "Why." or x * STEP\n') != base  # a value


def _tiny_pool() -> MinBiasPool:
    ints, floats = np.array([0, 1, 2]), np.array([1.0, 2.0])
    fields = {f.name: floats for f in dataclasses.fields(MinBiasPool) if f.name != "sigma_mb"}
    fields.update({k: ints for k in fields if k.endswith("offsets")}, tower_cell=np.array([5, 6]))
    fields.update(hadron_pid=np.array([211, -211]))
    return MinBiasPool(sigma_mb=78.0, **fields)


def test_pool_digest_is_checked_on_load(tmp_path: Path) -> None:
    path = tmp_path / "pool.npz"
    pool = _tiny_pool()
    pool.save(path)
    assert MinBiasPool.load(path).digest() == pool.digest()
    with np.load(path) as f:
        members = {k: f[k] for k in f.files}
    members["tower_et"] = members["tower_et"] * 1.5  # content changed, recorded digest kept
    np.savez(path, **members)
    with pytest.raises(SampleError, match=r"pool.npz is corrupt \(digest"):
        MinBiasPool.load(path)
    path.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(SampleError, match=r"cannot read the pile-up pool .*pool.npz"):
        MinBiasPool.load(path)


def test_a_corrupt_cached_pool_is_regenerated(cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = pool_path(cache, 20, 1)  # a size no other test uses
    path.write_bytes(b"garbage")
    assert ensure_pool(cache, 20, 1) == path
    assert "regenerating it" in capsys.readouterr().err
    assert MinBiasPool.load(path).size == 20
    out = tmp_path / "zb.root"
    argv = ["generate", "zerobias", "-n", "12", "--mu", "2", "--pool-size", "20", "--chunk", "6", "-j", "1"]
    assert main([*argv, "--cache-dir", str(cache), "--unweighted", "-o", str(out), "--quiet"]) == 0
    assert read_provenance(out)["request"]["weighted"] is False
    assert uproot.open(out)["Events"]["weight"].array(library="np").tolist() == [1 / 12] * 12


def test_generate_flags_unweighted_and_pool_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from trigger.cli import build_parser

    assert build_parser().parse_args(["generate", "zerobias"]).pool_size is None
    assert DEFAULT_POOL_SIZE == 100_000  # the sample list's default and the command's are this one constant
    assert main(["generate", "--help"]) == 0
    assert f"(default {DEFAULT_POOL_SIZE})" in capsys.readouterr().out.replace("\n", " ").replace("  ", " ")
    out = tmp_path / "gun.root"
    assert main(["generate", "muon-gun", "-n", "5", "-o", str(out), "--unweighted", "--quiet"]) == 2
    assert "--unweighted applies to zerobias only" in capsys.readouterr().err
    assert not out.exists()
