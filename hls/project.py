"""The on-disk format of an HLS project: its description file, its arrays, its checksum manifest.

A project written by :func:`hls.writer.write_project` holds, besides the C++ and the testbench:

* ``l1emu_project.json``: ``{"format": "l1emu-hls-project", "version": 1, "project": <C++ name>,
  "options": {"part", "clock_ns"}, "arrays": "l1emu_model.npz", "model": <the description>}``,
  the description as :func:`trigger.nn.serialize.to_json` writes it (every layer, every type by
  its C++ spelling, reuse factors, strategies, io type, tables);
* ``l1emu_model.npz``: the numbers (trained weights, raw words of weights, biases, tables,
  offsets), read with ``allow_pickle=False``;
* ``l1emu_manifest.json``: the sha256 of every other file the export wrote.

Reading a project (:func:`read_project`) first checks the manifest, naming the first file that is
missing or changed since export, then parses and validates the description: nothing in the
project is executed or unpickled.  A directory is treated as a project (and may be replaced by
``--force``) only if it holds a manifest and a project description (:func:`is_project`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from trigger.errors import ConfigError, CsimError
from trigger.nn.layers import ModelDescription
from trigger.nn.serialize import arrays_from_npz, arrays_to_npz, from_json, to_json

__all__ = [
    "ARRAYS_FILE",
    "DEFAULT_CLOCK_NS",
    "DEFAULT_PART",
    "FORMAT",
    "MANIFEST_FILE",
    "PROJECT_FILE",
    "VERSION",
    "Project",
    "ProjectOptions",
    "encode_project",
    "is_project",
    "manifest",
    "read_project",
    "verify_manifest",
]

FORMAT = "l1emu-hls-project"
VERSION = 1
PROJECT_FILE = "l1emu_project.json"
ARRAYS_FILE = "l1emu_model.npz"
MANIFEST_FILE = "l1emu_manifest.json"
DEFAULT_PART = "xcvu9p-flga2104-2L-e"
DEFAULT_CLOCK_NS = 5.0
_PART = re.compile(r"[A-Za-z0-9_-]+")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REL_PATH = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")
_MAX_JSON_BYTES = 256 << 20


@dataclass(frozen=True)
class ProjectOptions:
    """What the Tcl script targets, and the project's C++ name.

    ``part`` is a plain word (``[A-Za-z0-9_-]+``) and ``clock_ns`` a finite positive number: both are
    written into ``build_prj.tcl``, so nothing else may reach the Tcl interpreter.
    """

    part: str = DEFAULT_PART
    clock_ns: float = DEFAULT_CLOCK_NS
    project_name: str | None = None  # default: the model name as a C++ identifier

    def __post_init__(self) -> None:
        if not isinstance(self.part, str) or not _PART.fullmatch(self.part):
            raise ConfigError(
                f"FPGA part {self.part!r} is not a part name: use letters, digits, '_' and '-' only, "
                "e.g. xcvu9p-flga2104-2L-e"
            )
        clock = self.clock_ns
        if isinstance(clock, bool) or not isinstance(clock, (int, float)) or not math.isfinite(clock) or clock <= 0:
            raise ConfigError(f"clock period {clock!r} ns must be a finite positive number, e.g. 5 or 2.778")
        object.__setattr__(self, "clock_ns", float(clock))


@dataclass(frozen=True)
class Project:
    """A project read back from disk: its description, options and C++ name, and the files the manifest lists."""

    directory: Path
    name: str
    model: ModelDescription
    options: ProjectOptions
    files: Mapping[str, str]  # relative path -> sha256


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def encode_project(model: ModelDescription, options: ProjectOptions, name: str) -> dict[str, bytes]:
    """The description file and the arrays file of a project, by relative path."""
    doc, arrays = to_json(model)
    project = {
        "format": FORMAT,
        "version": VERSION,
        "project": name,
        "options": {"part": options.part, "clock_ns": options.clock_ns},
        "arrays": ARRAYS_FILE,
        "model": doc,
    }
    text = json.dumps(project, indent=1, allow_nan=False) + "\n"
    return {PROJECT_FILE: text.encode(), ARRAYS_FILE: arrays_to_npz(arrays)}


def manifest(files: Mapping[str, bytes]) -> bytes:
    """The manifest of ``files`` (relative path -> content): one sha256 each."""
    entries = {rel: _sha256(data) for rel, data in sorted(files.items())}
    doc = {"format": f"{FORMAT}-manifest", "version": VERSION, "files": entries}
    return (json.dumps(doc, indent=1) + "\n").encode()


def _load_json(path: Path, what: str) -> Any:
    try:
        data = path.read_bytes()
        if len(data) > _MAX_JSON_BYTES:
            raise CsimError(f"{path}: {what} is larger than {_MAX_JSON_BYTES} bytes")
        return json.loads(data)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        if isinstance(exc, CsimError):
            raise
        raise CsimError(f"{path}: {what} is not valid JSON ({exc}); re-export the project") from None


def _read_manifest(directory: Path) -> dict[str, str]:
    path = directory / MANIFEST_FILE
    if not path.is_file():
        raise CsimError(f"{directory}: not an l1emu HLS project (no {MANIFEST_FILE}); write it with `l1emu hls export`")
    doc = _load_json(path, "the manifest")
    if not isinstance(doc, dict) or doc.get("format") != f"{FORMAT}-manifest":
        raise CsimError(f"{path}: not an l1emu project manifest (expected format {FORMAT}-manifest)")
    if doc.get("version") != VERSION:
        raise CsimError(f"{path}: manifest version {doc.get('version')!r}; this l1emu reads version {VERSION}")
    files = doc.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise CsimError(f"{path}: 'files' must map relative paths to sha256 digests")
    for rel in files:
        parts = PurePosixPath(rel).parts
        if not _REL_PATH.fullmatch(rel) or any(p in (".", "..") for p in parts) or rel == MANIFEST_FILE:
            raise CsimError(f"{path}: file name {rel!r} is not a plain relative path inside the project")
    return dict(files)


def is_project(directory: str | Path) -> bool:
    """True if ``directory`` is an l1emu project, the only kind of directory ``--force`` may replace.

    It must be a real directory (not a link) holding a valid manifest that lists ``l1emu_project.json``,
    and that file must be a regular file whose ``format`` is ``l1emu-hls-project``: a folder that merely
    has a file of one of those names is not enough.
    """
    directory = Path(directory)
    if directory.is_symlink() or not directory.is_dir():
        return False
    try:
        files = _read_manifest(directory)
        description = directory / PROJECT_FILE
        if PROJECT_FILE not in files or description.is_symlink() or not description.is_file():
            return False
        doc = _load_json(description, "the project description")
    except CsimError:
        return False
    return isinstance(doc, dict) and doc.get("format") == FORMAT


def verify_manifest(directory: str | Path) -> dict[str, str]:
    """Check every file the manifest lists; raise :class:`CsimError` naming the first missing or changed one."""
    directory = Path(directory)
    files = _read_manifest(directory)
    root = directory.resolve()
    for rel, digest in files.items():
        path = directory / rel
        try:
            info = os.lstat(path)
        except OSError:
            raise CsimError(
                f"{directory}: {rel} is missing (listed in {MANIFEST_FILE}); re-export the project"
            ) from None
        if not stat.S_ISREG(info.st_mode) or path.resolve() != root / rel:
            raise CsimError(f"{directory}: {rel} is not a regular file inside the project (a link?); re-export it")
        if _sha256(path.read_bytes()) != digest:
            raise CsimError(
                f"{directory}: {rel} changed since export (its sha256 differs from {MANIFEST_FILE}); "
                "re-export the project with `l1emu hls export` (or `--force` to overwrite it)"
            )
    for required in (PROJECT_FILE, ARRAYS_FILE):
        if required not in files:
            raise CsimError(f"{directory}: {MANIFEST_FILE} does not list {required}; re-export the project")
    return files


def read_project(directory: str | Path) -> Project:
    """A verified project: manifest checked, description parsed and validated (nothing executed)."""
    directory = Path(directory)
    files = verify_manifest(directory)
    path = directory / PROJECT_FILE
    doc = _load_json(path, "the project description")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CsimError(f"{path}: not an l1emu HLS project description (expected format {FORMAT!r})")
    if doc.get("version") != VERSION:
        raise CsimError(
            f"{path}: format version {doc.get('version')!r}; this l1emu reads version {VERSION}: re-export the project"
        )
    expected = {"format", "version", "project", "options", "arrays", "model"}
    if set(doc) != expected:
        raise CsimError(f"{path}: keys {sorted(doc)}; expected {sorted(expected)}")
    name = doc["project"]
    if not isinstance(name, str) or not _IDENT.fullmatch(name):
        raise CsimError(f"{path}: project name {name!r} is not a C++ identifier")
    if doc["arrays"] != ARRAYS_FILE:
        raise CsimError(f"{path}: arrays must be stored in {ARRAYS_FILE!r}, not {doc['arrays']!r}")
    opts = doc["options"]
    if not isinstance(opts, dict) or set(opts) != {"part", "clock_ns"}:
        raise CsimError(f"{path}: options must be {{'part': ..., 'clock_ns': ...}}, got {opts!r}")
    try:
        options = ProjectOptions(opts["part"], opts["clock_ns"], name)
    except ConfigError as exc:
        raise CsimError(f"{path}: options: {exc}") from None
    arrays = arrays_from_npz((directory / ARRAYS_FILE).read_bytes(), source=str(directory / ARRAYS_FILE))
    model = from_json(doc["model"], arrays, source=f"{path}: model")
    return Project(directory, name, model, options, files)
