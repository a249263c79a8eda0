"""ROOT input: files and globs, schemas, chunked reading of only the needed branches (uproot + awkward)."""

from __future__ import annotations

from trigger.io.detect import detect_schema
from trigger.io.files import Dataset, FileInfo, WorkItem, expand_inputs, open_dataset
from trigger.io.reader import Chunk, Needs, read_chunk
from trigger.io.schema import CollectionSpec, Schema, SumSpec, builtin_schema, load_schema, parse_schema

__all__ = [
    "Chunk",
    "CollectionSpec",
    "Dataset",
    "FileInfo",
    "Needs",
    "Schema",
    "SumSpec",
    "WorkItem",
    "builtin_schema",
    "detect_schema",
    "expand_inputs",
    "load_schema",
    "open_dataset",
    "parse_schema",
    "read_chunk",
]
