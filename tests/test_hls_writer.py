"""The project writer: files present, only the layer headers used, exact arrays, atomic/force."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from hls import writer
from hls.carrays import CArray
from hls.project import ARRAYS_FILE, MANIFEST_FILE, PROJECT_FILE
from hls.writer import ProjectOptions, render_project, used_headers, write_project
from tests.nn_models import make_model
from trigger.errors import ModelError, ProjectExistsError
from trigger.fixed import FixedType


@pytest.fixture(scope="module")
def muon():  # type: ignore[no-untyped-def]
    return make_model("muon_pt", {"Model": {"Strategy": "Resource", "ReuseFactor": 4}})


def test_project_files(tmp_path: Path, muon) -> None:  # type: ignore[no-untyped-def]
    project = write_project(muon, tmp_path / "prj", tb_inputs=np.zeros((3, 36)))
    files = {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()}
    expected = {
        "README.md",
        "build_prj.tcl",
        "vivado_synth.tcl",
        "muon_pt_test.cpp",
        PROJECT_FILE,
        ARRAYS_FILE,
        MANIFEST_FILE,
        "firmware/muon_pt.cpp",
        "firmware/muon_pt.h",
        "firmware/defines.h",
        "firmware/parameters.h",
        "tb_data/tb_input_features.dat",
        "tb_data/tb_output_predictions.dat",
        "firmware/l1t_utils/l1t_common.h",
        "firmware/l1t_utils/l1t_dense.h",
        "firmware/l1t_utils/l1t_activation.h",
    } | {f"firmware/weights/{p}_fc{k}.h" for p in "wb" for k in range(1, 5)}
    assert files == expected
    tcl = (project / "build_prj.tcl").read_text()
    assert 'set part "xcvu9p-flga2104-2L-e"' in tcl and "set clock_ns 5.0" in tcl
    for switch in ("csim", "synth", "cosim", "export", "vsynth"):
        assert re.search(rf"^\s*{switch}\s+[01]$", tcl, re.M)
    assert "set_clock_uncertainty $clock_uncertainty default" in tcl and "set clock_uncertainty 27%" in tcl
    assert "synth_design -top muon_pt" in (project / "vivado_synth.tcl").read_text()
    params = (project / "firmware" / "parameters.h").read_text()
    assert "reuse_factor = 4;" in params and "l1t::resource" in params
    # 30x25 with RF 4: ceil(750 / 4) = 188 multipliers
    assert re.search(r"n_in = 30;\n.*n_out = 25;\n.*reuse_factor = 4;\n.*block_factor = 188;", params)
    for layer in muon.layers:  # every type spelling comes from str(FixedType)
        assert f"typedef {layer.result_t}" in (project / "firmware" / "defines.h").read_text()


def test_only_used_headers(muon) -> None:  # type: ignore[no-untyped-def]
    assert used_headers(muon) == ["l1t_common.h", "l1t_activation.h", "l1t_dense.h"]
    jet = make_model("jet_tagger", {})
    assert used_headers(jet) == ["l1t_common.h", "l1t_activation.h", "l1t_dense.h", "l1t_softmax.h"]
    ae = make_model("autoencoder", {"IOType": "io_stream"})
    assert "l1t_table_activation.h" in used_headers(ae) and "l1t_softmax.h" not in used_headers(ae)
    files = render_project(ae, ProjectOptions())
    assert "hls::stream<input_pack_t>" in files["firmware/autoencoder.h"]
    assert "#pragma HLS DATAFLOW" in files["firmware/autoencoder.cpp"]


def test_arrays_are_exact_raw_words(muon) -> None:  # type: ignore[no-untyped-def]
    files = render_project(muon, ProjectOptions())
    layer = muon.layers[0]
    text = files["firmware/weights/w_fc1.h"]
    body = text[text.index("{") + 1 : text.index("};")]
    words = [int(v) for v in body.replace("\n", " ").split(",") if v.strip()]
    assert words == [int(v) for v in layer.weights_raw.reshape(-1)]
    assert f"static const int16_t w_fc1[{layer.n_in * layer.n_out}]" in text


def test_wide_arrays_refused() -> None:
    arr = CArray("w", FixedType(70, 10), np.zeros(2, dtype=object))
    with pytest.raises(ModelError, match="wider than 64 bits"):
        _ = arr.word


def test_existing_directory_needs_force(tmp_path: Path, muon) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "prj"
    write_project(muon, target)
    (target / "keep.txt").write_text("stale")
    with pytest.raises(ProjectExistsError, match="force"):
        write_project(muon, target)
    assert (target / "keep.txt").read_text() == "stale"
    write_project(muon, target, force=True)  # an l1emu project (it has a manifest): replaced
    assert not (target / "keep.txt").exists() and (target / "build_prj.tcl").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prj"]  # no temporary left behind


def test_failed_write_leaves_nothing(tmp_path: Path, muon, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(writer.shutil, "copyfile", boom)
    with pytest.raises(OSError, match="disk full"):
        write_project(muon, tmp_path / "prj")
    assert list(tmp_path.iterdir()) == []


def test_identifiers_are_sanitized() -> None:
    taken: set[str] = set()
    assert writer._identifier("dense/1", taken) == "dense_1"
    assert writer._identifier("dense_1", taken) == "dense_1_2"
    assert writer._identifier("1st", taken) == "l_1st"
