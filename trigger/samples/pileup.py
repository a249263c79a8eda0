"""Minimum-bias pool, generated once and cached, and Poisson(mu) overlay at tower level.

A pool entry is one inelastic pp interaction (Pythia ``SoftQCD:inelastic``) reduced to its
tower deposits (before smearing), its muons above 2 GeV, its pi+-, K+-, K0L and weakly decaying
b and c hadrons above 2 GeV in |eta| < 2.5 (the muon sources: decays in flight, punch-through and
semileptonic decays, :mod:`trigger.samples.muon_sources`; the muons of Pythia's heavy-flavour decays are
not stored, the sources replace them)
and its pTHat. A bunch crossing draws
Poisson(mu) entries uniformly with replacement; their deposits are summed with the hard event's,
then smeared once. Re-using entries across crossings is the price of >= 1 000 crossings/s: with a
pool of P entries, two crossings at pile-up mu share on average mu^2 / P entries.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from trigger.errors import SampleError
from trigger.samples.geometry import Deposits

__all__ = ["MUON_MIN_PT", "POOL_VERSION", "MinBiasPool", "pool_path"]

POOL_VERSION = 4  # 4: the digest is stored and checked on load
MUON_MIN_PT = 2.0
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def pool_path(cache_dir: Path, size: int, seed: int) -> Path:
    """Cache file of a pool; its name hashes everything the content depends on (format, Pythia
    version, tower geometry), so a changed model never reads a stale pool."""
    from trigger.samples import geometry, muon_sources
    from trigger.samples.pythia import pythia_version

    key = repr(
        (
            POOL_VERSION,
            pythia_version(),
            geometry.N_ETA,
            geometry.N_PHI,
            geometry.ETA_MAX,
            geometry.B_FIELD,
            geometry._R_CALO,
            geometry._Z_CALO,
            geometry._EM_IDS,
            geometry._INVISIBLE_IDS,
            MUON_MIN_PT,
            muon_sources.CANDIDATE_IDS,
            muon_sources.CANDIDATE_MIN_PT,
            muon_sources.CANDIDATE_MAX_ETA,
        )
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return cache_dir / f"minbias-pool-v{POOL_VERSION}-n{size}-s{seed}-{digest}.npz"


def csr_gather(offsets: IntArray, rows: IntArray) -> tuple[IntArray, IntArray]:
    """Flat element indices of ``rows`` of a CSR array, and the position in ``rows`` of each."""
    starts = offsets[rows]
    lengths = offsets[rows + 1] - starts
    owner = np.repeat(np.arange(rows.size), lengths)
    first = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + np.arange(owner.size) - first, owner


@dataclass(frozen=True)
class MinBiasPool:
    """Pool arrays in CSR form (``tower_offsets[i]:tower_offsets[i+1]`` are entry i's towers)."""

    tower_offsets: IntArray
    tower_cell: IntArray
    tower_et: FloatArray
    muon_offsets: IntArray
    muon_pt: FloatArray
    muon_eta: FloatArray
    muon_phi: FloatArray
    muon_charge: FloatArray
    hadron_offsets: IntArray
    hadron_pid: IntArray
    hadron_pt: FloatArray
    hadron_eta: FloatArray
    hadron_phi: FloatArray
    hadron_charge: FloatArray
    pthat: FloatArray
    sigma_mb: float

    @property
    def size(self) -> int:
        return int(self.pthat.size)

    def __post_init__(self) -> None:
        for name in _ARRAYS:  # read-only, so the digest, computed once, stays the pool's
            getattr(self, name).flags.writeable = False

    @functools.cached_property
    def _digest(self) -> str:
        h = hashlib.sha256(repr(float(self.sigma_mb)).encode())
        for name in _ARRAYS:
            a = np.ascontiguousarray(getattr(self, name))
            h.update(f"{name}:{a.dtype.str}:{a.shape};".encode())
            h.update(a.tobytes())
        return h.hexdigest()[:16]

    def digest(self) -> str:
        """SHA-256 (16 hex digits) of every array and the cross-section: stored with the pool, checked on load."""
        return self._digest

    def save(self, path: Path) -> None:
        """Atomic write: a crash never leaves a half-written pool in the cache."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        arrays = {k: getattr(self, k) for k in _ARRAYS}
        np.savez(tmp, sigma_mb=np.array(self.sigma_mb), digest=np.array(self.digest()), **arrays)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> MinBiasPool:
        """The pool at ``path``; a file that is unreadable or whose digest differs is refused, named."""
        try:
            with open(path, "rb") as fh, np.load(fh) as f:  # our handle: closed even when np.load fails
                pool = cls(sigma_mb=float(f["sigma_mb"]), **{k: f[k] for k in _ARRAYS})
                stored = str(f["digest"])
        except Exception as exc:  # truncated zip, bad CRC, missing member, foreign file: all unusable
            raise SampleError(
                f"cannot read the pile-up pool {path} ({type(exc).__name__}: {exc}); delete it to regenerate"
            ) from exc
        if pool.digest() != stored:
            raise SampleError(
                f"the pile-up pool {path} is corrupt (digest {pool.digest()} differs from the recorded {stored}); "
                "delete it to regenerate"
            )
        return pool

    def prompt_muons(self, min_pt: float, max_pthat: float | None) -> tuple[dict[str, FloatArray], int]:
        """The muons above ``min_pt`` of the entries a crossing may draw, and how many entries it may draw."""
        allowed = np.ones(self.size, bool) if max_pthat is None else self.pthat < max_pthat
        owner = np.repeat(np.arange(self.size), np.diff(self.muon_offsets))
        sel = allowed[owner] & (self.muon_pt > min_pt)
        muons = {k: np.asarray(getattr(self, f"muon_{k}")[sel]) for k in ("pt", "eta", "phi", "charge")}
        muons["index"] = np.flatnonzero(sel)  # position in the pool's muon arrays (as overlay's "index")
        return muons, int(allowed.sum())

    def overlay(
        self, n_events: int, mu: float, rng: np.random.Generator, max_pthat: float | None = None
    ) -> tuple[IntArray, Deposits, dict[str, npt.NDArray[np.generic]], dict[str, npt.NDArray[np.generic]]]:
        """Draw Poisson(mu) entries per crossing (only entries with pTHat < ``max_pthat`` if given).

        Returns the number overlaid per crossing, their deposits, their muons (with ``index``, the
        position in the pool's muon arrays) and their candidate hadrons (flat, with ``event``).
        """
        allowed = np.arange(self.size) if max_pthat is None else np.nonzero(self.pthat < max_pthat)[0]
        if allowed.size == 0:
            raise SampleError(
                f"no entry of the {self.size}-entry pile-up pool has pTHat < {max_pthat} GeV; "
                "generate a larger pool (--pool-size)"
            )
        n_pu = rng.poisson(mu, size=n_events).astype(np.int64)
        rows = allowed[rng.integers(0, allowed.size, size=int(n_pu.sum()))]
        crossing = np.repeat(np.arange(n_events), n_pu)
        idx, owner = csr_gather(self.tower_offsets, rows)
        deposits = Deposits(crossing[owner], self.tower_cell[idx], self.tower_et[idx])
        midx, mown = csr_gather(self.muon_offsets, rows)
        muons: dict[str, npt.NDArray[np.generic]] = {
            "event": crossing[mown],
            "pt": self.muon_pt[midx],
            "eta": self.muon_eta[midx],
            "phi": self.muon_phi[midx],
            "charge": self.muon_charge[midx],
            "index": midx,
        }
        hidx, hown = csr_gather(self.hadron_offsets, rows)
        hadrons: dict[str, npt.NDArray[np.generic]] = {
            "event": crossing[hown],
            **{k: getattr(self, f"hadron_{k}")[hidx] for k in ("pid", "pt", "eta", "phi", "charge")},
        }
        return n_pu, deposits, muons, hadrons


_ARRAYS = [f for f in MinBiasPool.__dataclass_fields__ if f != "sigma_mb"]
_HADRON = ("pid", "pt", "eta", "phi", "charge")


def _csr(table: dict[str, npt.NDArray[np.generic]], n: int) -> tuple[IntArray, dict[str, npt.NDArray[np.generic]]]:
    event = np.asarray(table["event"], dtype=np.int64)
    order = np.argsort(event, kind="stable")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(event, minlength=n))]).astype(np.int64)
    return offsets, {k: np.asarray(v)[order] for k, v in table.items() if k != "event"}


def pool_part(
    deposits: Deposits,
    n: int,
    muons: dict[str, npt.NDArray[np.generic]],
    hadrons: dict[str, npt.NDArray[np.generic]],
    pthat: FloatArray,
    sigma: float,
) -> MinBiasPool:
    """A pool of ``n`` entries from their deposits (sorted by entry), muons and candidate hadrons."""
    order = np.argsort(deposits.event, kind="stable")
    t_off = np.concatenate([[0], np.cumsum(np.bincount(deposits.event, minlength=n))]).astype(np.int64)
    m_event = np.asarray(muons["event"], dtype=np.int64)
    m_order = np.argsort(m_event, kind="stable")
    m_off = np.concatenate([[0], np.cumsum(np.bincount(m_event, minlength=n))]).astype(np.int64)
    h_off, h = _csr(hadrons, n)
    return MinBiasPool(
        tower_offsets=t_off,
        tower_cell=deposits.cell[order].astype(np.int32).astype(np.int64),
        tower_et=deposits.et[order].astype(np.float32).astype(np.float64),
        muon_offsets=m_off,
        muon_pt=np.asarray(muons["pt"], np.float64)[m_order],
        muon_eta=np.asarray(muons["eta"], np.float64)[m_order],
        muon_phi=np.asarray(muons["phi"], np.float64)[m_order],
        muon_charge=np.asarray(muons["charge"], np.float64)[m_order],
        hadron_offsets=h_off,
        hadron_pid=np.asarray(h["pid"], np.int64),
        hadron_pt=np.asarray(h["pt"], np.float64),
        hadron_eta=np.asarray(h["eta"], np.float64),
        hadron_phi=np.asarray(h["phi"], np.float64),
        hadron_charge=np.asarray(h["charge"], np.float64),
        pthat=pthat.astype(np.float64),
        sigma_mb=sigma,
    )


def merge(parts: list[MinBiasPool]) -> MinBiasPool:
    """Concatenate pool parts in order; the cross section is the event-weighted mean."""

    def offsets(name: str) -> IntArray:
        out = [np.zeros(1, np.int64)]
        base = 0
        for p in parts:
            off = getattr(p, name)
            out.append(off[1:] + base)
            base += int(off[-1])
        return np.concatenate(out)

    sizes = np.array([p.size for p in parts], float)
    return MinBiasPool(
        tower_offsets=offsets("tower_offsets"),
        tower_cell=np.concatenate([p.tower_cell for p in parts]),
        tower_et=np.concatenate([p.tower_et for p in parts]),
        muon_offsets=offsets("muon_offsets"),
        muon_pt=np.concatenate([p.muon_pt for p in parts]),
        muon_eta=np.concatenate([p.muon_eta for p in parts]),
        muon_phi=np.concatenate([p.muon_phi for p in parts]),
        muon_charge=np.concatenate([p.muon_charge for p in parts]),
        hadron_offsets=offsets("hadron_offsets"),
        **{f"hadron_{k}": np.concatenate([getattr(p, f"hadron_{k}") for p in parts]) for k in _HADRON},
        pthat=np.concatenate([p.pthat for p in parts]),
        sigma_mb=float(np.average([p.sigma_mb for p in parts], weights=sizes)),
    )
