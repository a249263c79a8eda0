"""Missing g++ or ap_types headers: the error says how to get them (and the suite then fails)."""

from __future__ import annotations

import importlib.util

import pytest

from hls import toolchain
from trigger.errors import ToolchainError


def test_missing_headers_say_how_to_get_them(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("L1EMU_AP_TYPES", str(tmp_path))
    monkeypatch.delenv("XILINX_HLS", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ToolchainError, match=r"pip install hls4ml==1\.3\.0.*XILINX_HLS"):
        toolchain.ap_types_include()


def test_headers_are_found_in_the_hls4ml_wheel() -> None:
    assert (toolchain.ap_types_include() / "ap_fixed.h").is_file()


def test_missing_compiler_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXX", "no-such-compiler-g++")
    with pytest.raises(ToolchainError, match=r"apt-get install g\+\+"):
        toolchain.find_gxx()
