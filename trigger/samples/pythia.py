"""Pythia 8 in batches: configured, checked, seeded; output as flat numpy arrays.

``nextBatch`` keeps the full event record in memory (~0.7 GB per 1 000-2 000 events), so callers
generate in batches of at most :data:`BATCH` events. A failed ``init()`` is silent in Pythia: it
is checked here and raised as :class:`~trigger.errors.SampleError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import numpy.typing as npt

from trigger.errors import SampleError
from trigger.samples.pileup import csr_gather
from trigger.samples.processes import BEAM

__all__ = [
    "BATCH",
    "HEAVY_FLAVOUR_IDS",
    "Generator",
    "HardEvents",
    "mpi_init_file",
    "open_heavy_flavour",
    "pythia_version",
    "silenced_stdout",
]

BATCH = 500
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_PARTONS = (1, 2, 3, 4, 5, 21)


@contextlib.contextmanager
def silenced_stdout() -> Iterator[None]:
    """Silence file descriptor 1 (banners that C++ libraries print: Pythia, FastJet)."""
    sys.stdout.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def mpi_init_file(settings: tuple[str, ...], cache_dir: Path) -> Path:
    """Cached MPI initialisation for these settings (the file name hashes them and the version)."""
    key = hashlib.sha256("\n".join([pythia_version(), *BEAM, *settings]).encode()).hexdigest()[:12]
    cache_dir.mkdir(parents=True, exist_ok=True)
    return cache_dir / f"mpi-init-{key}.dat"


def pythia_version() -> str:
    from importlib.metadata import version

    return version("pythia8mc")


@dataclass(frozen=True)
class HardEvents:
    """Flat final-state particles of ``n`` events, their pTHat, matching candidates and their decay quarks."""

    n: int
    event: IntArray
    pt: FloatArray
    eta: FloatArray
    phi: FloatArray
    mass: FloatArray
    pid: IntArray
    charge: FloatArray
    pthat: FloatArray
    cand_event: IntArray  # partons / bosons for jet labelling (last copies)
    cand_pid: IntArray
    cand_pt: FloatArray
    cand_eta: FloatArray
    cand_phi: FloatArray
    prong_cand: IntArray  # decay quarks of boson / top candidates: owning candidate (index into cand_*)
    prong_eta: FloatArray
    prong_phi: FloatArray
    from_hf: npt.NDArray[np.bool_]  # per final-state particle: a decay product of an open heavy-flavour hadron
    hf_event: IntArray  # open b and c hadrons (as they decay): the semileptonic muon sources
    hf_pid: IntArray
    hf_pt: FloatArray
    hf_eta: FloatArray
    hf_phi: FloatArray


def _kinematics(px: FloatArray, py: FloatArray, pz: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    pt = np.hypot(px, py)
    eta = np.arcsinh(pz / np.maximum(pt, 1e-9))
    return pt, eta, np.arctan2(py, px)


class Generator:
    """One initialised Pythia instance; ``generate(n)`` returns :class:`HardEvents`."""

    def __init__(
        self,
        settings: tuple[str, ...],
        seed: int,
        match_ids: tuple[int, ...] = (),
        cache_dir: Path | None = None,
        mpi_file: Path | None = None,
    ):
        import pythia8mc

        self.match_ids = match_ids
        self.seed = seed
        self._pythia = pythia8mc.Pythia("", False)
        lines = [
            *BEAM,
            "Next:numberCount = 0",
            "Print:quiet = on",
            "Random:setSeed = on",
            f"Random:seed = {seed}",
        ]
        lines += list(settings)
        if mpi_file is not None:  # compute the MPI initialisation and write it there (1 = save)
            lines += ["MultipartonInteractions:reuseInit = 1", f"MultipartonInteractions:initFile = {mpi_file}"]
        elif cache_dir is not None and any(s.startswith("SoftQCD") for s in settings):
            # minimum-bias MPI initialisation takes 5-9 s; cache it (3 = read if present, else write)
            lines += [
                "MultipartonInteractions:reuseInit = 3",
                f"MultipartonInteractions:initFile = {mpi_init_file(settings, cache_dir)}",
            ]
        for line in lines:
            if not self._pythia.readString(line):
                raise SampleError(f"Pythia rejected the setting {line!r}; check its spelling in the Pythia 8.3 manual")
        with silenced_stdout():  # Pythia prints its banner on the C++ stdout even with Print:quiet
            ok = self._pythia.init()
        if not ok:
            raise SampleError(f"Pythia init() failed for settings {list(settings)}; run Pythia by hand to see its log")
        self._charges: dict[int, float] = {}

    def sigma_mb(self) -> float:
        """Pythia's running estimate of the generated cross section, in mb."""
        return float(self._pythia.infoPython().sigmaGen())

    def sigma_err_mb(self) -> float:
        """Statistical uncertainty of :meth:`sigma_mb`, in mb."""
        return float(self._pythia.infoPython().sigmaErr())

    def _charge(self, pid: IntArray) -> FloatArray:
        uniq, inverse = np.unique(pid, return_inverse=True)
        table = self._pythia.particleData
        values = np.array([self._charges.setdefault(int(u), float(table.charge(int(u)))) for u in uniq])
        return np.asarray(values[inverse], dtype=np.float64)

    def generate(self, n: int) -> HardEvents:
        parts = [self._batch(min(BATCH, n - start)) for start in range(0, n, BATCH)]
        return concat(parts)

    def _batch(self, n: int) -> HardEvents:
        batch = self._pythia.nextBatch(n, "skip")
        if len(batch) != n:  # "skip" drops failed events: top up so every batch has n events
            if len(batch) == 0:
                raise SampleError(
                    f"Pythia failed to generate any of {n} events (seed {self.seed}); "
                    "check the process settings by running Pythia with Print:quiet = off"
                )
            extra = self._pythia.nextBatch(n - len(batch), "fail")
            batch = ak.concatenate([batch, extra])
        prt = batch.prt
        counts = ak.to_numpy(ak.num(prt))
        event_all = np.repeat(np.arange(n), counts)
        pid = ak.to_numpy(ak.flatten(prt.id)).astype(np.int64)
        status = ak.to_numpy(ak.flatten(prt.status))
        px = ak.to_numpy(ak.flatten(prt.p.px))
        py = ak.to_numpy(ak.flatten(prt.p.py))
        pz = ak.to_numpy(ak.flatten(prt.p.pz))
        mass = ak.to_numpy(ak.flatten(prt.m))
        fs = status > 0
        pt, eta, phi = _kinematics(px[fs], py[fs], pz[fs])
        offsets0 = np.concatenate([[0], np.cumsum(counts)[:-1]])[event_all]
        mother = offsets0 + ak.to_numpy(ak.flatten(prt.mother1)).astype(np.int64)
        dau1 = offsets0 + ak.to_numpy(ak.flatten(prt.daughter1)).astype(np.int64)
        dau2 = offsets0 + ak.to_numpy(ak.flatten(prt.daughter2)).astype(np.int64)
        heavy = open_heavy_flavour(pid) & (status < 0)
        # B0 / Bs mixing is recorded as a one-daughter "decay" into the antiparticle: count the hadron once
        mixes = heavy & (dau1 == dau2) & open_heavy_flavour(pid[np.clip(dau1, 0, pid.size - 1)])
        heavy &= ~mixes
        from_hf = heavy[np.clip(mother, 0, pid.size - 1)][fs]
        hpt, heta, hphi = _kinematics(px[heavy], py[heavy], pz[heavy])
        # matching candidates: outgoing hard partons, or last copies of the bosons / tops
        cand = np.zeros(pid.size, bool)
        prong_cand, prong_idx = np.zeros(0, np.int64), np.zeros(0, np.int64)
        if self.match_ids:
            apid = np.abs(pid)
            wanted = np.isin(apid, self.match_ids)
            if all(m in _PARTONS for m in self.match_ids):
                cand = wanted & (np.abs(status) == 23)
            else:
                offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])[event_all]
                d1 = ak.to_numpy(ak.flatten(prt.daughter1)).astype(np.int64)
                d2 = ak.to_numpy(ak.flatten(prt.daughter2)).astype(np.int64)
                child = np.clip(offsets + d1, 0, pid.size - 1)
                cand = wanted & (d1 > 0) & (pid[child] != pid)
                last = offsets + np.where(d2 > 0, d2, d1)
                prong_cand, prong_idx = _decay_quarks(np.flatnonzero(cand), pid, offsets + d1, last, d1 > 0)
        cpt, ceta, cphi = _kinematics(px[cand], py[cand], pz[cand])
        _, peta, pphi = _kinematics(px[prong_idx], py[prong_idx], pz[prong_idx])
        pthat = np.sqrt(np.maximum(ak.to_numpy(batch.info.pT2Hat), 0.0))
        return HardEvents(
            n=n,
            event=event_all[fs],
            pt=pt,
            eta=eta,
            phi=phi,
            mass=mass[fs],
            pid=pid[fs],
            charge=self._charge(pid[fs]),
            pthat=pthat,
            cand_event=event_all[cand],
            cand_pid=pid[cand],
            cand_pt=cpt,
            cand_eta=ceta,
            cand_phi=cphi,
            prong_cand=prong_cand,
            prong_eta=peta,
            prong_phi=pphi,
            from_hf=from_hf,
            hf_event=event_all[heavy],
            hf_pid=pid[heavy],
            hf_pt=hpt,
            hf_eta=heta,
            hf_phi=hphi,
        )


# weakly decaying open b and c hadrons: the sources of semileptonic muons (excited states decay to these)
HEAVY_FLAVOUR_IDS = (511, 521, 531, 541, 5122, 5132, 5232, 5332, 411, 421, 431, 4122, 4132, 4232, 4332)


def open_heavy_flavour(pid: IntArray) -> npt.NDArray[np.bool_]:
    """Weakly decaying open b and c hadrons (:data:`HEAVY_FLAVOUR_IDS`, either charge)."""
    return np.asarray(np.isin(np.abs(pid), HEAVY_FLAVOUR_IDS))


def _decay_quarks(
    cands: IntArray, pid: IntArray, first: IntArray, last: IntArray, has: npt.NDArray[np.bool_]
) -> tuple[IntArray, IntArray]:
    """Quarks a (last-copy) W, Z or top decays to, through its W: (candidate ordinal, particle index).

    Pythia decays tops in the shower: the last top copy has daughters W and b, and the W's last copy
    (after its recoil copies) has the two quarks (status -23), as do the last W or Z copies.
    """
    owner: list[int] = []
    found: list[int] = []
    for k, c in enumerate(cands.tolist()):
        stack = [c]
        while stack:
            i = stack.pop()
            for j in range(int(first[i]), int(last[i]) + 1):
                a = abs(int(pid[j]))
                if a in _PARTONS[:5]:
                    owner.append(k)
                    found.append(j)
                elif a in (23, 24):
                    while has[j] and first[j] == last[j] and pid[first[j]] == pid[j]:  # recoil copies
                        j = int(first[j])
                    if has[j]:
                        stack.append(j)
    return np.asarray(owner, np.int64), np.asarray(found, np.int64)


def concat(parts: list[HardEvents]) -> HardEvents:
    """Events of several batches, in order, as one :class:`HardEvents`."""
    shift = np.cumsum([0] + [p.n for p in parts[:-1]])
    fields = {}
    for name in HardEvents.__dataclass_fields__:
        if name == "n":
            continue
        arrays = [getattr(p, name) for p in parts]
        if name in ("event", "cand_event", "hf_event"):
            arrays = [a + s for a, s in zip(arrays, shift, strict=True)]
        elif name == "prong_cand":
            first_cand = np.cumsum([0] + [p.cand_event.size for p in parts[:-1]])
            arrays = [a + s for a, s in zip(arrays, first_cand, strict=True)]
        fields[name] = np.concatenate(arrays) if arrays else np.zeros(0)
    return HardEvents(n=sum(p.n for p in parts), **fields)  # type: ignore[arg-type]


_PARTICLE_FIELDS = ("event", "pt", "eta", "phi", "mass", "pid", "charge", "from_hf")
_CAND_FIELDS = ("cand_event", "cand_pid", "cand_pt", "cand_eta", "cand_phi")
_PRONG_FIELDS = ("prong_cand", "prong_eta", "prong_phi")
_HF_FIELDS = ("hf_event", "hf_pid", "hf_pt", "hf_eta", "hf_phi")


def repeat_events(h: HardEvents, copies: int) -> HardEvents:
    """Every event ``copies`` times in a row (event k's copy r becomes event ``k * copies + r``): one hard
    interaction under several independent pile-up overlays and detector draws (zero-bias hard copies)."""
    return h if copies == 1 else take_events(h, np.repeat(np.arange(h.n), copies))


def take_events(h: HardEvents, events: IntArray) -> HardEvents:
    """The events ``events`` (indices, repeats allowed) in that order: new event j is old event ``events[j]``."""
    events = np.asarray(events, np.int64)
    out: dict[str, Any] = {"n": events.size, "pthat": h.pthat[events]}
    for fields in (_PARTICLE_FIELDS, _HF_FIELDS):
        rows, out[fields[0]] = _regroup(getattr(h, fields[0]), events)
        out.update({k: getattr(h, k)[rows] for k in fields[1:]})
    cand_rows, out["cand_event"] = _regroup(h.cand_event, events)
    out.update({k: getattr(h, k)[cand_rows] for k in _CAND_FIELDS[1:]})
    # a candidate's decay quarks follow it: new candidate j is old candidate cand_rows[j]
    prong_rows, out["prong_cand"] = _regroup(h.prong_cand, cand_rows)
    out.update({k: getattr(h, k)[prong_rows] for k in _PRONG_FIELDS[1:]})
    return HardEvents(**out)


def _regroup(owner: IntArray, picked: IntArray) -> tuple[IntArray, IntArray]:
    """Rows owned by ``owner`` (an index into some parent rows) for the parents ``picked`` in order (repeats
    allowed): (rows, their new owner = the position in ``picked``); a parent's rows keep their order."""
    order = np.argsort(owner, kind="stable")
    n_parents = int(max(picked.max(initial=-1), owner.max(initial=-1))) + 1
    offsets = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=n_parents))])
    rows, new_owner = csr_gather(offsets, picked)
    return order[rows], new_owner
