"""Read one chunk: only the needed branches, assembled into collections and stored sums (no physics here).

Sums derived from objects (HT from jets) are not computed here: the features stage
(:func:`trigger.features.read_events`) adds them with the framework's one cut convention.

Non-finite values are counted per branch, never silently kept: an object with a non-finite pt, eta or
phi is dropped from its collection once, here, whichever fields the menu reads (pt, eta and phi of every
collection read are always read), so it is gone for every seed and counted per collection
(``Chunk.dropped``); a non-finite energy sum becomes NaN (it passes no cut).

The cluster branch (``Schema.cluster``: adjacent crossings sharing a hard interaction) is read when asked for
and the file has it; a file without it gives ``Chunk.cluster = None``, every crossing its own cluster.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from trigger.errors import BadInputFileError
from trigger.io.files import WorkItem, branch_map, open_tree
from trigger.io.schema import CollectionSpec, Schema, SumSpec

__all__ = ["Chunk", "Needs", "read_chunk"]

#: the fields an object is dropped on when one is not finite
_KINEMATICS = ("pt", "eta", "phi")


@dataclass(frozen=True)
class Needs:
    """What a processor reads: collection -> fields, sum names, per-event scalars."""

    collections: Mapping[str, frozenset[str]] = field(default_factory=dict)
    sums: frozenset[str] = frozenset()
    event: frozenset[str] = frozenset()
    #: sums whose direction (phi) is read too
    sum_phis: frozenset[str] = frozenset()
    #: the schema's cluster branch, where a file has it (never among the required ``branches``)
    cluster: bool = False

    def __or__(self, other: Needs) -> Needs:
        cols = {k: frozenset(v) for k, v in self.collections.items()}
        for k, v in other.collections.items():
            cols[k] = cols.get(k, frozenset()) | v
        return Needs(
            cols,
            self.sums | other.sums,
            self.event | other.event,
            self.sum_phis | other.sum_phis,
            self.cluster or other.cluster,
        )

    def branches(self, schema: Schema) -> set[str]:
        """The branches to read: pt, eta and phi of every collection (non-finite objects are dropped on
        all three, whatever the menu reads), the other fields asked for, the sums and the event scalars."""
        cols = {name: set(fields) | set(_KINEMATICS) for name, fields in self.collections.items()}
        out = schema.branches_for(cols, self.sums, self.sum_phis)
        for name in self.event:
            out.add(schema.event.get(name, name))
        return out


@dataclass
class Chunk:
    """One chunk of events: ``collections[name]`` is a jagged record array (fields pt, eta, phi, ...)."""

    item: WorkItem
    n: int
    weight: NDArray[np.float64]
    collections: dict[str, ak.Array]
    sums: dict[str, NDArray[np.float64]]
    event: dict[str, NDArray[Any]]
    nonfinite: dict[str, int]
    weighted: bool
    #: collection -> objects dropped for a non-finite pt, eta or phi
    dropped: dict[str, int] = field(default_factory=dict)
    #: direction of the sums that have one (``Needs.sum_phis``); NaN where not known
    sum_phi: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    #: per-chunk scratch space for derived views (flat object arrays), filled by the evaluator
    cache: dict[Any, Any] = field(default_factory=dict)
    #: cluster id per event (adjacent equal values: copies of one hard interaction); None when not asked
    #: for (``Needs.cluster``), when the schema has no cluster branch or the file lacks it (written before it)
    cluster: NDArray[np.int64] | None = None


def _flat(a: ak.Array) -> NDArray[Any]:
    return np.asarray(ak.flatten(a, axis=None))


def _charge(spec: CollectionSpec, raw: Mapping[str, ak.Array]) -> ak.Array:
    """Charge from a uGMT charge bit, 1 - 2 * bit, and 0 where ``charge_valid`` says it was not measured
    (CMSSW's MuonRawDigiTranslator.cc; see trigger/io/schemas/l1nano.yaml)."""
    charge = 1 - 2 * raw[spec.fields["charge_bit"]]
    if "charge_valid" in spec.fields:
        charge = charge * (raw[spec.fields["charge_valid"]] != 0)
    return charge


def _collection(
    spec: CollectionSpec, fields: frozenset[str], raw: Mapping[str, ak.Array], nonfinite: dict[str, int]
) -> tuple[ak.Array, int]:
    """The collection's record array without its non-finite objects, and how many were dropped."""
    arrays: dict[str, ak.Array] = {}
    if spec.cartesian:
        px, py = raw[spec.fields["px"]], raw[spec.fields["py"]]
        pt = np.hypot(px, py)
        arrays["pt"] = pt
        if "phi" in fields:
            arrays["phi"] = np.arctan2(py, px)
        if "eta" in fields:
            with np.errstate(divide="ignore", invalid="ignore"):  # pt 0: eta +-inf, the object is dropped
                arrays["eta"] = np.arcsinh(raw[spec.fields["pz"]] / pt)
    for f in fields:
        branch = spec.branch(f)
        if f not in arrays and branch is not None and f not in ("px", "py", "pz"):
            arrays[f] = _charge(spec, raw) if f == "charge" and "charge" not in spec.fields else raw[branch]
    arrays.setdefault("pt", raw[spec.fields["pt"]] if not spec.cartesian else arrays["pt"])
    keep = None
    for f in _KINEMATICS:
        ok = np.isfinite(arrays[f])
        bad = int(len(_flat(ok)) - np.count_nonzero(_flat(ok)))
        if bad:
            nonfinite[spec.branch(f) or f"{spec.name}.{f}"] = bad
            keep = ok if keep is None else keep & ok
    coll = ak.zip(arrays, depth_limit=None)
    if keep is None:
        return coll, 0
    return coll[keep], int(len(_flat(keep)) - np.count_nonzero(_flat(keep)))


def _sum(
    spec: SumSpec, raw: Mapping[str, ak.Array], n: int, nonfinite: dict[str, int], phi: bool = False
) -> NDArray[np.float64]:
    """The sum per event (NaN where the file has none), or with ``phi`` its direction."""
    if spec.px is not None and spec.py is not None:
        px, py = np.asarray(raw[spec.px], np.float64), np.asarray(raw[spec.py], np.float64)
        value = np.arctan2(py, px) if phi else np.hypot(px, py)
        name = spec.px
    else:
        branch = spec.phi_branch if phi else spec.branch
        assert branch is not None
        name = branch
        arr = raw[branch]
        if spec.type_branch is not None:
            sel = raw[spec.type_branch] == spec.type_value
            if spec.bx_branch is not None:
                sel = sel & (raw[spec.bx_branch] == 0)
            arr = ak.fill_none(ak.firsts(arr[sel]), np.nan)
        value = np.asarray(arr, dtype=np.float64).reshape(n)
    bad = ~np.isfinite(value)
    if bad.any():
        nonfinite[name] = nonfinite.get(name, 0) + int(bad.sum())
        value = np.where(bad, np.nan, value)
    return value


_OPEN: dict[tuple[str, str, int, int], tuple[Any, dict[str, str]]] = {}


def _tree(path: str, tree: str) -> tuple[Any, dict[str, str]]:
    """The tree and its branch map, kept open for the next chunk of the same file (one file per process;
    a file rewritten in place, with a new size or modification time, is opened again)."""
    import os

    try:
        st = os.stat(path)
    except OSError as exc:
        raise BadInputFileError(f"input file {path!r} disappeared: {exc.strerror or exc}") from None
    key = (path, tree, st.st_size, st.st_mtime_ns)
    if key not in _OPEN:
        for old, _ in _OPEN.values():
            old.file.close()
        _OPEN.clear()
        ttree, _ = open_tree(path, (tree,))
        _OPEN[key] = (ttree, branch_map(ttree))
    return _OPEN[key]


def _read_error(ttree: Any, names: dict[str, str], wanted: list[str], item: WorkItem, exc: Exception) -> str:
    """The message for a chunk that did not read: which branch (each is re-read alone), and 'truncated' if it is."""
    text = f"{type(exc).__name__}: {exc}"
    culprit = None
    for b in wanted:
        try:
            ttree[names[b]].array(entry_start=item.start, entry_stop=item.stop, library="ak")
        except Exception:
            culprit = names.get(b, b)
            break
    where = f" branch {culprit!r}" if culprit else ""
    if re.search(r"expected .* of length \d+, received \d+ bytes|received 0 bytes", str(exc)):
        return f"cannot read {item.describe()}{where}: the file is truncated (a basket lies past its end): {text}"
    return f"cannot read {item.describe()}{where} (a corrupt basket?): {text}"


def _cluster(raw: ak.Array, name: str, item: WorkItem) -> NDArray[np.int64]:
    """The cluster ids as int64, or :class:`BadInputFileError` for a branch that holds no integer per event."""
    values = np.asarray(raw) if raw.ndim == 1 else None
    if values is None or not np.issubdtype(values.dtype, np.integer):
        got = str(raw.type.content) if values is None else str(values.dtype)
        what = f"cluster branch {name!r} holds {got}, expected one integer per event"
        raise BadInputFileError(f"{item.describe()}: {what}")
    return values.astype(np.int64, copy=False)


def read_chunk(item: WorkItem, schema: Schema, needs: Needs) -> Chunk:
    """Read entries ``[item.start, item.stop)`` of the needed branches and assemble them."""
    ttree, names = _tree(item.path, item.tree)
    raw: dict[str, ak.Array] = {}
    # the cluster branch is optional in a file: absent (a file written before it), every crossing is its own
    cluster = schema.cluster if needs.cluster and schema.cluster is not None and schema.cluster in names else None
    wanted = sorted(needs.branches(schema) | ({cluster} if cluster else set()))
    try:
        # nested branches (L1Ntuple "L1Upgrade/jetEt", RNTuple "Jet.pt") are read one by one: a "/" or
        # "." in an uproot expression could be taken for a division or an attribute
        flat = [names[b] for b in wanted if "/" not in names[b] and "." not in names[b]]
        got = ttree.arrays(flat, entry_start=item.start, entry_stop=item.stop, library="ak", how=dict) if flat else {}
        for b in wanted:
            full = names[b]
            raw[b] = (
                got[full]
                if full in got
                else ttree[full].array(entry_start=item.start, entry_stop=item.stop, library="ak")
            )
    except Exception as exc:
        raise BadInputFileError(_read_error(ttree, names, wanted, item, exc)) from None
    n = item.n
    nonfinite: dict[str, int] = {}
    if schema.weight:
        weight = np.asarray(raw[schema.weight], dtype=np.float64)
        bad = ~np.isfinite(weight)
        if bad.any():
            nonfinite[schema.weight] = int(bad.sum())
            weight = np.where(bad, 0.0, weight)
    else:
        weight = np.ones(n, dtype=np.float64)
    wanted_fields = {name: set(fields) | set(_KINEMATICS) for name, fields in needs.collections.items()}
    stored = {}
    for name in needs.sums:
        spec = schema.sums[name]
        if spec.from_collection is None:
            stored[name] = spec
        else:  # derived by the features stage (trigger.features.sums) from the collection's pt and eta
            wanted_fields.setdefault(spec.from_collection, set(_KINEMATICS))
    colls: dict[str, ak.Array] = {}
    dropped: dict[str, int] = {}
    for name, fields in wanted_fields.items():
        colls[name], n_bad = _collection(schema.collections[name], frozenset(fields), raw, nonfinite)
        if n_bad:
            dropped[name] = n_bad
    sums = {name: _sum(spec, raw, n, nonfinite) for name, spec in stored.items()}
    sum_phi = {name: _sum(schema.sums[name], raw, n, nonfinite, phi=True) for name in needs.sum_phis}
    event = {name: np.asarray(raw[schema.event.get(name, name)]) for name in needs.event}
    # a weight branch of all ones is an unweighted sample: its errors are Clopper-Pearson, not sqrt(sum w^2)
    weighted = schema.weight is not None and bool(np.any(weight != 1.0))
    ids = _cluster(raw[cluster], names[cluster], item) if cluster else None
    return Chunk(
        item, n, weight, colls, sums, event, nonfinite, weighted, dropped=dropped, sum_phi=sum_phi, cluster=ids
    )
