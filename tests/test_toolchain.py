"""Missing g++ or ap_types headers: the error says how to get them (and the suite then fails); the build cache."""

from __future__ import annotations

import importlib.util
from pathlib import Path

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


def test_cache_drops_libraries_unused_for_30_days_and_a_hit_refreshes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import os
    import time

    from hls.toolchain import MAX_AGE_DAYS, build_shared_library, cache_dir

    monkeypatch.setenv("L1EMU_CACHE", str(tmp_path))
    cache, day, now = cache_dir(), 86400.0, time.time()
    old, recent = cache / "old-0.so", cache / "recent-0.so"
    for lib, age in ((old, MAX_AGE_DAYS + 1), (recent, MAX_AGE_DAYS - 1)):
        lib.write_bytes(b"")
        os.utime(lib, (now - age * day, now - age * day))
    source = 'extern "C" int one() { return 1; }'
    built = build_shared_library(source, name="t")
    assert built.exists() and recent.exists() and not old.exists()
    os.utime(built, (now - 2 * MAX_AGE_DAYS * day, now - 2 * MAX_AGE_DAYS * day))
    assert build_shared_library(source, name="t") == built  # a hit: not rebuilt, and no longer old
    assert built.stat().st_mtime > now - 60
