"""Finding g++ and Xilinx's ap_types headers, and compiling C++ against them (with a cache).

The cache keeps a library while it is used: a hit refreshes its time, and each new build removes the libraries
not used for :data:`MAX_AGE_DAYS` (the fixed-point oracle's randomized formats compile anew every test run and
would otherwise pile up, ~3 MB a run).

Headers come from, in order: ``$L1EMU_AP_TYPES`` (a directory holding ``ap_fixed.h``), a Vitis HLS
install (``$XILINX_HLS/include``), then the copy inside the ``hls4ml`` wheel (Apache-2.0), which
``pip install -e '.[test]'`` brings.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from trigger.errors import ToolchainError

__all__ = ["CXXFLAGS", "ap_types_include", "build_shared_library", "cache_dir", "find_gxx"]

CXXFLAGS = ("-std=c++17", "-O2", "-fPIC", "-shared", "-w")
MAX_AGE_DAYS = 30

_HOW_TO_GET_HEADERS = (
    "install them with `pip install hls4ml==1.3.0` (ships Xilinx's ap_types headers, Apache-2.0), "
    "or point $XILINX_HLS at a Vitis HLS install, or $L1EMU_AP_TYPES at a directory holding ap_fixed.h"
)


def _has_headers(path: Path) -> bool:
    return (path / "ap_fixed.h").is_file() and (path / "ap_int.h").is_file()


def ap_types_include() -> Path:
    """Directory that holds ``ap_fixed.h``; raises :class:`ToolchainError` saying how to get one."""
    tried: list[str] = []
    explicit = os.environ.get("L1EMU_AP_TYPES")
    if explicit:
        if _has_headers(Path(explicit)):
            return Path(explicit)
        tried.append(f"$L1EMU_AP_TYPES={explicit}")
    xilinx = os.environ.get("XILINX_HLS")
    if xilinx:
        if _has_headers(Path(xilinx) / "include"):
            return Path(xilinx) / "include"
        tried.append(f"$XILINX_HLS/include={xilinx}/include")
    spec = importlib.util.find_spec("hls4ml")
    if spec is not None and spec.submodule_search_locations:
        for root in spec.submodule_search_locations:
            candidate = Path(root) / "templates" / "vivado" / "ap_types"
            if _has_headers(candidate):
                return candidate
            tried.append(str(candidate))
    else:
        tried.append("the hls4ml package (not installed)")
    raise ToolchainError(f"ap_types headers not found (looked in: {'; '.join(tried)}); {_HOW_TO_GET_HEADERS}")


def find_gxx() -> str:
    """Path of the C++ compiler (``$CXX`` or ``g++``)."""
    cxx = os.environ.get("CXX", "g++")
    path = shutil.which(cxx)
    if path is None:
        raise ToolchainError(
            f"C++ compiler {cxx!r} not found on PATH; install g++ (Debian: `apt-get install g++`) or set $CXX"
        )
    return path


def cache_dir() -> Path:
    """Where compiled libraries are kept, keyed by a hash of source and flags."""
    root = os.environ.get("L1EMU_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "l1emu"
    )
    path = Path(root) / "cxx"
    path.mkdir(parents=True, exist_ok=True)
    return path


def build_shared_library(
    source: str, *, name: str = "lib", include_dirs: tuple[Path, ...] = (), extra_flags: tuple[str, ...] = ()
) -> Path:
    """Compile ``source`` into a shared library against ap_types; reuse an identical earlier build."""
    gxx = find_gxx()
    includes = (ap_types_include(), *include_dirs)
    flags = [*CXXFLAGS, *extra_flags, *(f"-I{p}" for p in includes)]
    key = hashlib.sha256("\0".join([gxx, *flags, source]).encode()).hexdigest()[:20]
    cache = cache_dir()
    target = cache / f"{name}-{key}.so"
    if target.exists():
        with contextlib.suppress(OSError):  # a read-only cache still serves
            os.utime(target)
        return target
    _prune(cache)
    with tempfile.TemporaryDirectory(prefix="l1emu-cxx-") as tmp:
        src = Path(tmp) / f"{name}.cpp"
        src.write_text(source)
        out = Path(tmp) / f"{name}.so"
        proc = subprocess.run([gxx, *flags, str(src), "-o", str(out)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise ToolchainError(f"g++ failed to compile {name} (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(out, partial)
        partial.replace(target)
    return target


def _prune(cache: Path) -> None:
    """Remove the cached libraries not used for :data:`MAX_AGE_DAYS` (one loaded elsewhere stays valid)."""
    limit = time.time() - MAX_AGE_DAYS * 86400
    for lib in cache.glob("*.so"):
        with contextlib.suppress(OSError):  # gone meanwhile, or not ours to remove
            if lib.stat().st_mtime < limit:
                lib.unlink()
