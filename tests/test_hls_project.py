"""The HLS project format: versioned JSON + numbers + sha256 manifest, no pickle, safe --force/--part/--clock.

Round trips are checked on the emulator's output bits; crafted projects (bad JSON, wrong version,
pickled arrays, path traversal, links, edited C++) must give a clear error and execute nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import pathlib
import zipfile
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hls.csim import load_project, run_csim
from hls.project import ARRAYS_FILE, FORMAT, MANIFEST_FILE, PROJECT_FILE, ProjectOptions, manifest, read_project
from hls.writer import write_project
from trigger.cli import main
from trigger.errors import ConfigError, CsimError, ModelError, ProjectExistsError
from trigger.fixed import FixedType
from trigger.nn import (
    ActivationSpec,
    DenseSpec,
    IOType,
    ModelDescription,
    NetworkSpec,
    ScaleLayer,
    SumLayer,
    build_model,
    describe,
    run_fixed,
    run_float,
)
from trigger.nn.serialize import arrays_from_npz, arrays_to_npz, from_json, to_json

SHAPES = {  # the three shipped architectures: sizes, hidden activation per layer, output activation
    "jet_tagger": ([16, 64, 32, 32, 5], {}, "softmax"),
    "muon_pt": ([36, 30, 25, 20, 1], {}, "linear"),
    "autoencoder": ([57, 32, 16, 3, 16, 32, 57], {2: "tanh"}, "sigmoid"),
}
CONFIGS: dict[str, dict[str, Any]] = {
    "jet_tagger": {"Model": {"Strategy": "Resource", "ReuseFactor": 4}, "IOType": "io_stream"},
    "muon_pt": {"Model": {"Accumulation": "hls4ml", "Precision": {"accum": "ap_fixed<12,4,AP_RND,AP_SAT>"}}},
    "autoencoder": {"LayerType": {"Dense": {"Precision": {"result": "ap_fixed<10,3,AP_RND_CONV,AP_SAT_SYM>"}}}},
}


def _network(arch: str) -> ModelDescription:
    sizes, special, last = SHAPES[arch]
    rng = np.random.default_rng(len(arch))
    layers: list[DenseSpec | ActivationSpec] = []
    for k, (a, b) in enumerate(pairwise(sizes)):
        layers.append(DenseSpec(f"fc{k + 1}", rng.normal(0, 1.5 / np.sqrt(a), (a, b)), rng.normal(0, 0.2, b)))
        act = last if k == len(sizes) - 2 else special.get(k, "relu")
        layers.append(ActivationSpec(f"fc{k + 1}_{act}", act))
    spec = NetworkSpec(arch, "inputs", sizes[0], tuple(layers))
    return build_model(spec, CONFIGS[arch], rng.normal(0, 1.5, (1000, sizes[0])))


def _ht() -> ModelDescription:
    pt_t = FixedType.from_string("ap_ufixed<11,10,AP_TRN,AP_SAT>")
    return describe(
        "fixed_ht", pt_t, [SumLayer("ht", 12, pt_t, FixedType.from_string("ap_ufixed<14,13,AP_TRN,AP_SAT>"))]
    )


def _scaled() -> ModelDescription:
    t = FixedType.from_string
    scale = ScaleLayer(
        "scale",
        t("ap_fixed<20,14>"),
        t("ap_fixed<18,13>"),
        t("ap_fixed<8,6,AP_RND_CONV,AP_SAT>"),
        np.array([5.0, -1.5]),
        np.array([2, 0]),
    )
    return describe("scaled", scale.input_t, [scale], io_type=IOType.STREAM)


def _roundtrip(model: ModelDescription) -> ModelDescription:
    doc, arrays = to_json(model)
    text = json.dumps(doc, allow_nan=False)  # plain JSON: types, enums, numbers, strings
    return from_json(json.loads(text), arrays_from_npz(arrays_to_npz(arrays)))


@pytest.mark.parametrize("arch", list(SHAPES))
def test_roundtrip_bit_identical(arch: str) -> None:
    model = _network(arch)
    again = _roundtrip(model)
    x = np.random.default_rng(9).normal(0, 2, (3000, model.n_inputs))
    x[::50] *= 1e3  # far outside the input type
    assert np.array_equal(run_fixed(model, x).to_python_ints(), run_fixed(again, x).to_python_ints())
    assert np.array_equal(run_float(model, x), run_float(again, x))
    assert again.summary() == model.summary() and again.io_type is model.io_type
    for a, b in zip(model.layers, again.layers, strict=True):
        assert type(a) is type(b) and a.result_t == b.result_t and str(a.result_t) == str(b.result_t)


def test_roundtrip_new_layers() -> None:
    for model in (_ht(), _scaled()):
        x = np.random.default_rng(2).uniform(-5000, 5000, (500, model.n_inputs))
        again = _roundtrip(model)
        assert np.array_equal(run_fixed(model, x).to_python_ints(), run_fixed(again, x).to_python_ints())


def test_project_files_and_manifest(tmp_path: Path) -> None:
    model = _network("jet_tagger")
    project = write_project(model, tmp_path / "prj", tb_inputs=np.zeros((2, 16)))
    doc = json.loads((project / PROJECT_FILE).read_text())
    assert (doc["format"], doc["version"], doc["project"], doc["arrays"]) == (FORMAT, 1, "jet_tagger", ARRAYS_FILE)
    assert doc["model"]["io_type"] == "io_stream" and doc["options"] == {
        "part": "xcvu9p-flga2104-2L-e",
        "clock_ns": 5.0,
    }
    fc1 = doc["model"]["layers"][0]
    assert (fc1["kind"], fc1["reuse_factor"], fc1["strategy"]) == ("dense", 4, "Resource")
    assert fc1["weight_t"] == str(model.layers[0].weight_t) and fc1["weight_t"].startswith("ap_fixed<")
    softmax = doc["model"]["layers"][-1]["softmax"]
    exp_table = model.layers[7].softmax.exp  # type: ignore[union-attr]
    assert softmax["exp"]["values_raw"] == {"array": "layers[7].softmax.exp.values_raw", "shape": [exp_table.size]}
    with np.load(project / ARRAYS_FILE, allow_pickle=False) as npz:  # plain numbers
        assert npz["layers[0].weights_raw"].dtype == np.int64
        assert np.array_equal(npz["layers[0].weights_raw"], model.layers[0].weights_raw)
    listed = json.loads((project / MANIFEST_FILE).read_text())["files"]
    on_disk = {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()} - {MANIFEST_FILE}
    assert set(listed) == on_disk
    for rel, digest in listed.items():
        assert hashlib.sha256((project / rel).read_bytes()).hexdigest() == digest
    readme = (project / "README.md").read_text()
    assert "pickle" not in readme.replace("without pickle", "") and MANIFEST_FILE in readme
    assert load_project(project).model.summary() == model.summary()


def test_no_pickle_in_the_package() -> None:
    root = pathlib.Path(__file__).parents[1]
    for path in [*root.joinpath("hls").rglob("*.py"), *root.joinpath("trigger").rglob("*.py")]:
        text = path.read_text()
        assert "import pickle" not in text and "pickle.load" not in text, path
        assert "allow_pickle=True" not in text, path


# ------------------------------------------------------------------------------- changed and crafted projects
def _rehash(project: Path) -> None:
    """What a forger would do: a manifest that matches whatever the project now holds."""
    files = {p.relative_to(project).as_posix(): p.read_bytes() for p in project.rglob("*") if p.is_file()}
    files.pop(MANIFEST_FILE)
    (project / MANIFEST_FILE).write_bytes(manifest(files))


@pytest.fixture
def ht_project(tmp_path: Path) -> Path:
    return write_project(_ht(), tmp_path / "ht", tb_inputs=np.full((3, 12), 40.0))


@pytest.mark.parametrize("rel", ["firmware/parameters.h", "tb_data/tb_input_features.dat", ARRAYS_FILE, PROJECT_FILE])
def test_csim_refuses_changed_files(ht_project: Path, rel: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = ht_project / rel
    path.write_bytes(path.read_bytes() + b" ")
    assert main(["hls", "csim", str(ht_project)]) == 2
    err = capsys.readouterr().err
    assert f"{rel} changed since export" in err and "Traceback" not in err


def test_csim_refuses_missing_file(ht_project: Path) -> None:
    (ht_project / "firmware" / "weights").mkdir(exist_ok=True)
    (ht_project / "firmware" / "parameters.h").unlink()
    with pytest.raises(CsimError, match=r"firmware/parameters\.h is missing"):
        load_project(ht_project)


def _edit_json(project: Path, edit: Any) -> None:
    doc = json.loads((project / PROJECT_FILE).read_text())
    edit(doc)
    (project / PROJECT_FILE).write_text(json.dumps(doc))
    _rehash(project)


CRAFTED: dict[str, tuple[Any, str]] = {
    "bad-json": (lambda p: ((p / PROJECT_FILE).write_text("{not json"), _rehash(p)), "is not valid JSON"),
    "wrong-version": (
        lambda p: _edit_json(p, lambda d: d.update(version=2)),
        "format version 2; this l1emu reads version 1",
    ),
    "wrong-format": (
        lambda p: _edit_json(p, lambda d: d.update(format="hls4ml")),
        "not an l1emu HLS project description",
    ),
    "name-traversal": (
        lambda p: _edit_json(p, lambda d: d.update(project="../../evil")),
        "is not a C\\+\\+ identifier",
    ),
    "arrays-traversal": (lambda p: _edit_json(p, lambda d: d.update(arrays="../x.npz")), "arrays must be stored in"),
    "tcl-injection": (
        lambda p: _edit_json(p, lambda d: d["options"].update(part="xcvu9p; exec rm -rf /")),
        "options: FPGA part .* is not a part name",
    ),
    "bad-type": (
        lambda p: _edit_json(p, lambda d: d["model"]["layers"][0].update(result_t="ap_fixed<14")),
        r"layers\[0\]\.result_t: cannot parse fixed-point type",
    ),
    "unknown-kind": (
        lambda p: _edit_json(p, lambda d: d["model"]["layers"][0].update(kind="os.system")),
        r"layers\[0\]\.kind: expected one of",
    ),
    "extra-key": (
        lambda p: _edit_json(p, lambda d: d["model"]["layers"][0].update(__reduce__="x")),
        r"SumLayer keys: unknown \['__reduce__'\]",
    ),
    "huge-n": (
        lambda p: _edit_json(p, lambda d: d["model"]["layers"][0].update(n=10**6)),
        "takes 1000000 values, input inputs gives 12",
    ),
}


def _manifest_with(project: Path, rel: str) -> None:
    doc = json.loads((project / MANIFEST_FILE).read_text())
    doc["files"][rel] = "0" * 64
    (project / MANIFEST_FILE).write_text(json.dumps(doc))


CRAFTED["manifest-traversal"] = (lambda p: _manifest_with(p, "../outside.txt"), "is not a plain relative path")
CRAFTED["manifest-absolute"] = (lambda p: _manifest_with(p, "/etc/passwd"), "is not a plain relative path")


@pytest.mark.parametrize("case", list(CRAFTED))
def test_crafted_projects_give_clear_errors(ht_project: Path, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    craft, message = CRAFTED[case]
    craft(ht_project)
    with pytest.raises((CsimError, ModelError), match=message):
        read_project(ht_project)
    assert main(["hls", "csim", str(ht_project)]) == 2
    assert "Traceback" not in capsys.readouterr().err


class _Payload:
    """Unpickling this would create the marker file: the proof that nothing was unpickled."""

    marker: Path

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (Path.touch, (self.marker,))


def test_pickled_array_is_not_loaded(ht_project: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = _Payload()
    payload.marker = marker
    evil = np.empty(1, dtype=object)
    evil[0] = payload
    buffer = io.BytesIO()
    np.savez(buffer, **{"layers[0].weights_raw": evil})  # an object array: numpy pickles it
    (ht_project / ARRAYS_FILE).write_bytes(buffer.getvalue())
    _rehash(ht_project)
    with pytest.raises(ModelError, match=r"not a readable numpy \.npz of numbers"):
        read_project(ht_project)
    assert not marker.exists()
    np.load(io.BytesIO(buffer.getvalue()), allow_pickle=True)["layers[0].weights_raw"]  # the payload is real ...
    assert marker.exists()  # ... it would have run


def test_crafted_arrays(ht_project: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("../../etc/x.npy", b"")
    with pytest.raises(ModelError, match="unexpected member"):
        arrays_from_npz(buffer.getvalue())
    with pytest.raises(ModelError, match="not a readable numpy"):
        arrays_from_npz(b"PK not a zip")
    model = _scaled()
    doc, arrays = to_json(model)
    with pytest.raises(ModelError, match=r"layers\[0\]\.offset: array has shape \[3\], the description says \[2\]"):
        from_json(doc, {**arrays, "layers[0].offset": np.zeros(3)})
    with pytest.raises(ModelError, match=r"layers\[0\]\.shift: expected integer values, got dtype float64"):
        from_json(doc, {**arrays, "layers[0].shift": np.zeros(2)})
    with pytest.raises(ModelError, match=r"layers\[0\]\.offset_raw: stored raw words differ"):
        from_json(doc, {**arrays, "layers[0].offset_raw": np.array([1, 2])})
    with pytest.raises(ModelError, match="arrays no layer references"):
        from_json(doc, {**arrays, "spare": np.zeros(1)})


def test_edited_cpp_with_forged_manifest_is_not_compiled(ht_project: Path) -> None:
    """A consistent manifest is not enough: the C++ must be what l1emu writes for the description."""
    top = ht_project / "firmware" / "fixed_ht.cpp"
    top.write_text(top.read_text() + '\n#include <cstdlib>\nstatic int x = std::system("touch pwned");\n')
    _rehash(ht_project)
    with pytest.raises(CsimError, match=r"firmware/fixed_ht\.cpp is not what this l1emu writes"):
        run_csim(ht_project)
    (ht_project / "firmware" / "extra.h").write_text("// not ours\n")
    top.write_text(top.read_text().split("\n#include <cstdlib>")[0])
    _rehash(ht_project)
    with pytest.raises(CsimError, match=r"firmware/extra\.h was not written by l1emu"):
        load_project(ht_project)


def test_linked_file_refused(ht_project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.h"
    outside.write_bytes((ht_project / "firmware" / "parameters.h").read_bytes())
    (ht_project / "firmware" / "parameters.h").unlink()
    (ht_project / "firmware" / "parameters.h").symlink_to(outside)
    _rehash(ht_project)
    with pytest.raises(CsimError, match="not a regular file inside the project"):
        read_project(ht_project)


def test_unicode_names_become_ascii_identifiers(tmp_path: Path) -> None:
    t = FixedType.from_string("ap_fixed<8,4>")
    model = describe("jét ht", t, [SumLayer("Σpt", 3, t, t)])
    project = read_project(write_project(model, tmp_path / "p"))
    assert project.name == "j_t_ht" and (tmp_path / "p" / "firmware" / "j_t_ht.cpp").is_file()
    assert project.model.layers[0].name == "Σpt"  # the description keeps the names as given


def test_csim_of_a_verified_project(ht_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hls", "csim", str(ht_project), "--n", "300"]) == 0
    assert "300 samples" in capsys.readouterr().out


# ------------------------------------------------------------------------------- --force, --part, --clock
def test_force_replaces_only_projects(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    precious = tmp_path / "mine"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    args = ["hls", "export", str(tmp_path / "no.keras"), "--config", "c.yml", "-o", str(precious), "--force"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "is not an l1emu HLS project" in err and "--force only replaces" in err
    assert [p.name for p in precious.iterdir()] == ["thesis.tex"] and (
        precious / "thesis.tex"
    ).read_text() == "years of work"
    with pytest.raises(ProjectExistsError, match="not an l1emu HLS project"):
        write_project(_ht(), precious, force=True)
    assert [p.name for p in precious.iterdir()] == ["thesis.tex"]
    afile = tmp_path / "file.txt"
    afile.write_text("keep")
    with pytest.raises(ProjectExistsError, match="not an l1emu HLS project"):
        write_project(_ht(), afile, force=True)
    assert afile.read_text() == "keep"
    empty = tmp_path / "empty"
    empty.mkdir()
    write_project(_ht(), empty, force=True)  # nothing to lose
    write_project(_scaled(), empty, force=True)  # an l1emu project: replaced
    assert read_project(empty).name == "scaled"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "file.txt", "mine"]


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--part", "xcvu9p; exec rm -rf /", "is not a part name"),
        ("--part", 'xcvu9p"]; puts [exec id', "is not a part name"),
        ("--clock", "nan", "finite positive number"),
        ("--clock", "inf", "finite positive number"),
        ("--clock", "-5", "finite positive number"),
        ("--clock", "0", "finite positive number"),
    ],
)
def test_part_and_clock_validated(
    tmp_path: Path, flag: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "hls",
        "export",
        str(tmp_path / "m.keras"),
        "--config",
        "c.yml",
        "-o",
        str(tmp_path / "p"),
        f"{flag}={value}",
    ]
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_project_options(tmp_path: Path) -> None:
    assert ProjectOptions("xcu250-figd2104-2L-e", 2.5).clock_ns == 2.5
    with pytest.raises(ConfigError, match="not a part name"):
        ProjectOptions("xc vu9p")
    with pytest.raises(ConfigError, match="finite positive"):
        ProjectOptions(clock_ns=True)  # type: ignore[arg-type]
    project = write_project(_ht(), tmp_path / "p", options=ProjectOptions("xcvu13p-flga2577-1-e", 3))
    tcl = (project / "build_prj.tcl").read_text()
    assert 'set part "xcvu13p-flga2577-1-e"' in tcl and "set clock_ns 3.0" in tcl
