"""Sample production: plan chunks with derived seeds, run them in worker processes, stitch, write.

Every chunk gets its own ``SeedSequence(seed).spawn`` child, so the file content depends on the
seed and the chunk size only, never on the number of workers. Zero-bias crossings are Poisson(mu)
pool entries (pool vetoed above the lowest pTHat edge); a share of the sample is hard QCD in pTHat
bins on top of Poisson(mu) pool entries. With p_k = sigma_k / sigma_inel and p_h = sum p_k, the
weights are exp(-mu p_h) / N_soft for soft crossings and (1 - exp(-mu p_h)) (p_k / p_h) / N_k for
bin k, so the weights of a zero-bias file sum to 1 (one crossing): rate = f_bx x sum of passing
weights. Crossings with two hard interactions are counted as one (error ~ (mu p_h)^2 / 2). Every
other sample has weight 1.
"""

from __future__ import annotations

import functools
import math
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trigger.errors import SampleError
from trigger.samples.events import SOURCE_FACTOR, Detector, build_branches
from trigger.samples.pileup import MinBiasPool, merge, pool_part, pool_path
from trigger.samples.processes import PROCESSES, Process, get_process
from trigger.samples.provenance import provenance
from trigger.samples.schedule import Job, run_jobs
from trigger.samples.writer import write_root

__all__ = ["DEFAULT_PTHAT_BINS", "Request", "default_cache_dir", "ensure_pool", "generate", "generate_many"]

DEFAULT_PTHAT_BINS = (30.0, 50.0, 80.0, 120.0, 170.0, 250.0, 400.0)
_MINBIAS = ("SoftQCD:inelastic = on",)


def default_cache_dir() -> Path:
    """Where pools and MPI initialisations are cached: ``$L1EMU_CACHE`` or ``~/.cache/l1emu``."""
    env = os.environ.get("L1EMU_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "l1emu"


DEFAULT_POOL_SIZE = 100_000  # entries; each reused ~mu x crossings / size times (README: statistics)


@dataclass(frozen=True)
class Request:
    """What to produce. ``mu`` is the mean number of pile-up interactions per crossing."""

    process: str
    n: int
    seed: int = 1
    mu: float = 0.0
    workers: int = 1
    chunk: int = 500
    cache_dir: Path = field(default_factory=lambda: default_cache_dir())
    pool_size: int = DEFAULT_POOL_SIZE
    pool_seed: int = 1
    pthat_bins: tuple[float, ...] = DEFAULT_PTHAT_BINS
    hard_fraction: float = 0.5  # zero-bias with allocation None (the default): share of the pTHat bins, equal
    forced_fraction: float = 0.3  # same: share of each stratum with one forced muon source
    weighted: bool = True  # zero-bias: False = plain Poisson(mu) crossings of the whole pool, equal weights
    # zero-bias: share of the crossings in (soft normal, soft forced, bin 0 normal, bin 0 forced, ...), or with a
    # third part per stratum, two sources forced (soft normal, soft forced, soft forced-two, bin 0 normal, ...;
    # a forced-two share may be 0); None = hard_fraction / forced_fraction
    allocation: tuple[float, ...] | None = None
    # zero-bias: per pTHat bin, how many crossings each hard event makes (independent pile-up overlays and detector
    # draws of one Pythia event, adjacent in the file, one ``cluster``); None = one each
    copies: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.copies is not None and (
            len(self.copies) != len(self.pthat_bins) or not all(isinstance(c, int) and c >= 1 for c in self.copies)
        ):
            raise SampleError(
                f"zerobias copies: one integer >= 1 per pTHat bin ({len(self.pthat_bins)}: crossings made of each "
                f"hard event), got {list(self.copies)}"
            )
        if self.allocation is not None:
            a = self.allocation
            strata = 1 + len(self.pthat_bins)
            parts = len(a) // strata if len(a) in (2 * strata, 3 * strata) else 0
            ok = parts > 0 and all(x > 0 or (i % parts == 2 and x == 0) for i, x in enumerate(a))
            if not ok:
                raise SampleError(
                    f"zerobias allocation: {2 * strata} positive shares (soft normal, soft forced, then normal and "
                    f"forced of each of the {len(self.pthat_bins)} pTHat bins) or {3 * strata} (normal, forced, "
                    f"forced-two per stratum; forced-two may be 0) expected, got {list(a)}"
                )


@dataclass(frozen=True)
class _Task:
    kind: str  # pool | soft | hard | plain | pythia | gun
    n: int
    seed: np.random.SeedSequence
    process: str = ""
    settings: tuple[str, ...] = ()
    mu: float = 0.0
    pool: str = ""  # path of the pool file, loaded once per worker
    max_pthat: float | None = None
    label: int = -1  # pTHat bin of a hard task
    forced: int = 0  # zero-bias: muon sources above the cut forced, 0, 1 or 2 (trigger/samples/muon_sources.py)
    mix: tuple[int, int, int] = (0, 0, 0)  # zero-bias: normal, forced, forced-two crossings of the stratum
    copies: int = 1  # zero-bias hard task: crossings per Pythia event (n of them in all: n / copies events)


_POOLS: dict[str, MinBiasPool] = {}


def _pool(path: str) -> MinBiasPool | None:
    if not path:
        return None
    if path not in _POOLS:
        _POOLS[path] = MinBiasPool.load(Path(path))
    return _POOLS[path]


@functools.lru_cache(maxsize=1)
def _detector() -> Detector:
    """One detector model per worker process: building its look-up tables takes ~0.4 s, once per chunk before."""
    return Detector()


def _pythia_seed(seq: np.random.SeedSequence) -> int:
    return int(seq.generate_state(1)[0] % 900_000_000) + 1


if TYPE_CHECKING:
    from trigger.samples.pythia import HardEvents

_Result = tuple[dict[str, Any], tuple[float, float]]  # a chunk's branches (or pool part), its cross-section (mb)


def _run(task: _Task, cache_dir: Path) -> _Result:
    """One chunk: its branches (or pool part) and the generator's cross-section estimate (mb)."""
    from trigger.samples.pythia import Generator, repeat_events

    rng = np.random.default_rng(task.seed)
    detector = _detector()
    if task.kind == "pool":
        from trigger.samples.geometry import deposit
        from trigger.samples.muon_sources import candidates, heavy_candidates

        gen = Generator(_MINBIAS, _pythia_seed(task.seed), cache_dir=cache_dir)
        mb = gen.generate(task.n)
        deps = deposit(mb.event, mb.pt, mb.eta, mb.phi, mb.pid, mb.charge)
        mu_sel = (np.abs(mb.pid) == 13) & (mb.pt > 2.0) & ~mb.from_hf  # heavy flavour: through the sources
        muons = {k: getattr(mb, k)[mu_sel] for k in ("event", "pt", "eta", "phi", "charge")}
        had_sel = candidates(mb.pid, mb.pt, mb.eta)
        hf_sel = heavy_candidates(mb.hf_pid, mb.hf_pt, mb.hf_eta)
        hadrons = {
            k: np.concatenate([getattr(mb, k)[had_sel], getattr(mb, f"hf_{k}")[hf_sel]])
            for k in ("event", "pid", "pt", "eta", "phi")
        }
        hadrons["charge"] = np.concatenate([mb.charge[had_sel], np.zeros(int(hf_sel.sum()))])
        part = pool_part(deps, task.n, muons, hadrons, mb.pthat, gen.sigma_mb())
        return {"pool": part}, (gen.sigma_mb(), gen.sigma_err_mb())
    process = get_process(task.process)
    hard: HardEvents | None = None
    gun: dict[str, np.ndarray] | None = None
    sigma = (0.0, 0.0)
    if task.kind in ("hard", "pythia"):
        gen = Generator(task.settings, _pythia_seed(task.seed), process.fatjet_match, cache_dir=cache_dir)
        hard = repeat_events(gen.generate(task.n // task.copies), task.copies)
        sigma = (gen.sigma_mb(), gen.sigma_err_mb())
    elif task.kind == "gun":
        gun = {
            "pt": 1.0 / rng.uniform(1 / 1000.0, 1 / 2.0, task.n),
            "eta": rng.uniform(-2.4, 2.4, task.n),
            "phi": rng.uniform(-np.pi, np.pi, task.n),
            "charge": rng.choice(np.array([-1.0, 1.0]), task.n),
        }
    mode = ("normal", "forced", "forced2")[task.forced] if task.kind in ("soft", "hard") else "physical"
    zb = task.kind in ("soft", "hard")
    mix = (float(task.mix[0]), float(task.mix[1]), float(task.mix[2])) if zb else None
    branches = build_branches(task.n, hard, gun, _pool(task.pool), task.mu, rng, detector, task.max_pthat, mode, mix)
    if process.fatjet_label is not None and hard is not None:
        from trigger.samples.substructure import fatjets

        branches["FatJet"] = fatjets(hard, branches["L1WideJet"], process.fatjet_label, process.fatjet_prongs)
    return branches, sigma


def _chunks(n: int, size: int) -> list[int]:
    return [min(size, n - s) for s in range(0, n, size)]


def _job(
    desc: str,
    cache_dir: Path,
    tasks: list[_Task],
    finish: Callable[[list[_Result]], None],
    needs: str = "",
    makes: str = "",
) -> Job:
    """A :class:`~trigger.samples.schedule.Job` of ``tasks``, each run by :func:`_run`; ``finish`` gets their
    results in task order."""
    return Job(
        desc,
        tasks,
        functools.partial(_run, cache_dir=cache_dir),
        finish,
        lambda t: int(t.n),
        needs=needs,
        makes=makes,
    )


def _pool_job(cache_dir: Path, size: int, seed: int) -> Job:
    path = pool_path(cache_dir, size, seed)
    seqs = np.random.SeedSequence([seed, 0x9001]).spawn(math.ceil(size / 500))
    tasks = [_Task("pool", n, seqs[i]) for i, n in enumerate(_chunks(size, 500))]

    def finish(results: list[_Result]) -> None:
        pool = merge([b["pool"] for b, _ in results])
        pool.save(path)
        _POOLS[str(path)] = pool

    return _job("min-bias pool", cache_dir, tasks, finish, makes=str(path))


def _sample_job(request: Request, output: Path, provenances: dict[Path, dict[str, Any]]) -> Job:
    """The chunks of ``request`` and how they are stitched and written to ``output`` (its provenance kept in
    ``provenances``)."""
    process = get_process(request.process)
    if request.n <= 0:
        raise SampleError(f"{request.process}: the number of events (-n) must be positive, got {request.n}")
    if process.zerobias and request.mu <= 0:
        raise SampleError(f"zerobias needs pile-up: give --mu > 0 (60 Run 3, 200 HL-LHC), got {request.mu}")
    pool_file = str(pool_path(request.cache_dir, request.pool_size, request.pool_seed)) if _reads_pool(request) else ""
    plan = _plan(process, request, pool_file)
    seqs = np.random.SeedSequence(request.seed).spawn(len(plan))
    tasks = [_Task(seed=seqs[i], **spec) for i, spec in enumerate(plan)]

    def finish(results: list[_Result]) -> None:
        pool = _pool(pool_file)
        factors = [np.asarray(b.pop(SOURCE_FACTOR)) for b, _ in results]
        weights, stitching = _weights(process, request, tasks, results, pool)
        weights = [w * f for w, f in zip(weights, factors, strict=True)]
        chunks = []
        first = 0
        for task, (branches, _), w in zip(tasks, results, weights, strict=True):
            n = len(w)
            event = np.arange(first + 1, first + n + 1, dtype=np.int64)
            chunk = {
                "run": np.ones(n, np.int64),
                "event": event,
                # the copies of one hard event (adjacent) share the first copy's event number
                "cluster": event[(np.arange(n) // task.copies) * task.copies],
                "weight": w,
            }
            chunk.update(branches)
            chunks.append(chunk)
            first += n
        prov = provenance(request, process, pool, stitching)
        write_root(output, chunks, prov)
        provenances[output] = prov

    return _job(request.process, request.cache_dir, tasks, finish, needs=pool_file)


def _cached_pool(cache_dir: Path, size: int, seed: int) -> bool:
    """The pool is in the cache and intact (then loaded once for this process); a damaged one is said and
    remade, not used."""
    path = pool_path(cache_dir, size, seed)
    if str(path) in _POOLS:
        return True
    if not path.exists():
        return False
    try:
        _POOLS[str(path)] = MinBiasPool.load(path)  # verifies the digest
        return True
    except SampleError as exc:
        print(f"l1emu: {exc}; regenerating it", file=sys.stderr)
        return False


def _warm_mpi_cache(settings: tuple[str, ...], cache_dir: Path) -> None:
    """Write the cached minimum-bias MPI initialisation once, before parallel workers read it: into a temporary
    file renamed into place (Pythia writes in place), so another generation sharing the cache never reads half."""
    from trigger.samples.pythia import Generator, mpi_init_file

    if not any(s.startswith("SoftQCD") for s in settings):
        return
    path = mpi_init_file(settings, cache_dir)
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            Generator(settings, 1, mpi_file=tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)


def ensure_pool(cache_dir: Path, size: int, seed: int, workers: int = 1, progress: bool = False) -> Path:
    """Path of the cached minimum-bias pool, generating it first if needed."""
    run_jobs(_missing_pools([(cache_dir, size, seed)]), workers, progress)
    return pool_path(cache_dir, size, seed)


def _missing_pools(keys: list[tuple[Path, int, int]]) -> list[Job]:
    """The jobs making the pools (cache directory, size, seed) the cache does not hold intact, once each."""
    jobs = []
    for cache_dir, size, seed in dict.fromkeys(keys):
        if not _cached_pool(cache_dir, size, seed):
            _warm_mpi_cache(_MINBIAS, cache_dir)
            jobs.append(_pool_job(cache_dir, size, seed))
    return jobs


def generate(request: Request, output: Path, progress: bool = True) -> dict[str, Any]:
    """Produce ``request`` into ``output``; returns the provenance written to the file."""
    return generate_many([(request, output)], request.workers, progress)[output]


def generate_many(
    requests: list[tuple[Request, Path]], workers: int, progress: bool = True
) -> dict[Path, dict[str, Any]]:
    """Produce each (request, output) on one set of ``workers`` processes (:mod:`trigger.samples.schedule`), first
    the pools they read where the cache has none; returns each output's provenance. Every request is checked before
    work starts."""
    provenances: dict[Path, dict[str, Any]] = {}
    samples = [_sample_job(req, out, provenances) for req, out in requests]
    pools = _missing_pools([(r.cache_dir, r.pool_size, r.pool_seed) for r, _ in requests if _reads_pool(r)])
    for req, _ in requests:
        _warm_mpi_cache(get_process(req.process).settings, req.cache_dir)
    run_jobs([*pools, *samples], workers, progress, frozenset(_POOLS))
    return provenances


def _reads_pool(request: Request) -> bool:
    return request.mu > 0 or get_process(request.process).zerobias


def _plan(process: Process, req: Request, pool_file: str) -> list[dict[str, Any]]:
    common = {"process": process.name, "mu": req.mu, "pool": pool_file}
    if process.gun:
        return [dict(kind="gun", n=n, **common) for n in _chunks(req.n, req.chunk)]
    if not process.zerobias:
        chunks = _chunks(req.n, req.chunk)
        if process.mass_scan is None:
            return [dict(kind="pythia", n=n, settings=process.settings, **common) for n in chunks]
        scan = process.mass_scan
        masses = scan.chunk_masses(len(chunks))
        return [
            dict(kind="pythia", n=n, settings=(*process.settings, *scan.settings(m)), **common)
            for n, m in zip(chunks, masses, strict=True)
        ]
    if not req.weighted:  # plain crossings: Poisson(mu) entries of the whole pool, every source physical
        return [dict(kind="plain", n=n, **common) for n in _chunks(req.n, req.chunk)]
    bins = req.pthat_bins
    edges = [*bins, math.inf]
    plan: list[dict[str, Any]] = []
    for k, sizes in enumerate(_stratum_sizes(req)):
        spec: dict[str, Any] = dict(kind="soft", max_pthat=bins[0], **common)
        copies = 1
        if k > 0:
            lo, hi = edges[k - 1], edges[k]
            cuts = (f"PhaseSpace:pTHatMin = {lo}", f"PhaseSpace:pTHatMax = {hi if math.isfinite(hi) else -1.0}")
            spec = dict(kind="hard", settings=(*process.settings, *cuts), max_pthat=bins[0], label=k - 1, **common)
            copies = _copies(req)[k - 1]
            spec["copies"] = copies
        for forced, n_part in enumerate(sizes):  # a hard part's crossings are whole events' copies
            chunks = _chunks(n_part // copies, max(1, req.chunk // copies))
            plan += [dict(n=n * copies, forced=forced, mix=sizes, **spec) for n in chunks]
    return plan


def _copies(req: Request) -> tuple[int, ...]:
    return req.copies if req.copies is not None else (1,) * len(req.pthat_bins)


def _stratum_sizes(req: Request) -> list[tuple[int, int, int]]:
    """(normal, forced, forced-two) crossings of the soft stratum, then of each pTHat bin."""
    n_bins = len(req.pthat_bins)
    if req.allocation is None:  # the default: hard_fraction in equal pTHat bins, forced_fraction of each forced
        n_hard = round(req.n * req.hard_fraction)
        per_bin = [n_hard // n_bins + (1 if k < n_hard % n_bins else 0) for k in range(n_bins)]
        totals = [req.n - n_hard, *per_bin]
        sizes = [[n - round(n * req.forced_fraction), round(n * req.forced_fraction), 0] for n in totals]
    else:
        shares = np.asarray(req.allocation, float)
        parts = shares.size // (n_bins + 1)
        counts = _apportion(req.n, shares).tolist()
        sizes = [[*counts[parts * k : parts * (k + 1)], 0][:3] for k in range(n_bins + 1)]
    # a hard part makes whole events' copies: its crossings rounded to a multiple of the bin's copies (at least
    # one event when it has crossings), the difference to the soft normal part, so the total stays n
    for k, c in enumerate(_copies(req), start=1):
        for j, count in enumerate(sizes[k]):
            whole = max(c, round(count / c) * c) if count > 0 else 0
            sizes[0][0] += count - whole
            sizes[k][j] = whole
    if sizes[0][0] < 1:
        raise SampleError(f"zerobias: {req.n} crossings are too few for whole copies of every hard part")
    return [(int(a), int(b), int(c)) for a, b, c in sizes]


def _apportion(n: int, shares: np.ndarray) -> np.ndarray:
    """``n`` split in proportion to ``shares`` (largest remainder), every part of a positive share >= 1 when n
    allows: a normal or forced part with no crossing would drop its probability from the weights (a forced-two
    part may be empty: the forced part covers its crossings)."""
    floor = np.where(shares > 0, min(1, n // shares.size), 0)
    exact = floor + (n - floor.sum()) * shares / shares.sum()
    counts = np.floor(exact).astype(np.int64)
    remainder = np.where(shares > 0, counts - exact, np.inf)
    counts[np.argsort(remainder, kind="stable")[: n - int(counts.sum())]] += 1
    return np.asarray(counts, np.int64)


def _weights(
    process: Process,
    req: Request,
    tasks: list[_Task],
    results: list[tuple[dict[str, Any], tuple[float, float]]],
    pool: MinBiasPool | None,
) -> tuple[list[np.ndarray], dict[str, Any]]:
    if not process.zerobias:
        return [np.ones(t.n) for t in tasks], {}
    if not req.weighted:
        return [np.full(t.n, 1.0 / req.n) for t in tasks], {"unweighted": True}
    assert pool is not None
    n_soft = sum(t.n for t in tasks if t.kind == "soft")
    n_bins = len(req.pthat_bins)
    n_k = np.array([sum(t.n for t in tasks if t.kind == "hard" and t.label == k) for k in range(n_bins)], float)
    # events per (stratum, forced): each half of a stratum estimates it on its own (muon_sources.py)
    part: dict[tuple[int, int], int] = {}
    for t in tasks:
        key = (t.label if t.kind == "hard" else -1, t.forced)
        part[key] = part.get(key, 0) + t.n
    sig_k = np.zeros(n_bins)
    var_k = np.zeros(n_bins)
    for t, (_, (s, err)) in zip(tasks, results, strict=True):
        if t.kind == "hard":  # event-weighted mean of the chunks' independent estimates
            sig_k[t.label] += s * t.n
            var_k[t.label] += (err * t.n) ** 2
    sig_k = np.divide(sig_k, n_k, out=np.zeros(n_bins), where=n_k > 0)
    err_k = np.divide(np.sqrt(var_k), n_k, out=np.zeros(n_bins), where=n_k > 0)
    p_k = sig_k / pool.sigma_mb
    p_h = float(p_k.sum())
    p_hard = 1.0 - math.exp(-req.mu * p_h)
    p_soft = 1.0 - p_hard
    weights = []
    for t in tasks:
        n_part = part[(t.label if t.kind == "hard" else -1, t.forced)]
        share = p_soft if t.kind == "soft" else (p_hard * p_k[t.label] / p_h if p_h > 0 else 0.0)
        w = share / n_part
        weights.append(np.full(t.n, w))
    stitching = {
        "pthat_bins": list(req.pthat_bins),
        "sigma_bins_mb": sig_k.tolist(),
        "sigma_bins_err_mb": err_k.tolist(),
        "events_bins": n_k.astype(int).tolist(),
        "events_soft": n_soft,
        "events_parts": {f"{'soft' if k < 0 else f'b{k}'}{'*' * f}": n for (k, f), n in sorted(part.items())},
        "sigma_inel_mb": pool.sigma_mb,
        "p_hard": p_hard,
        "pool_fraction_above_first_bin": float(np.mean(pool.pthat >= req.pthat_bins[0])),
    }
    return weights, stitching


def describe() -> list[tuple[str, str]]:
    return [(p.name, p.description) for p in PROCESSES.values()]


def request_dict(req: Request) -> dict[str, Any]:
    d = asdict(req)
    d["cache_dir"] = str(req.cache_dir)
    d["pthat_bins"] = list(req.pthat_bins)
    d["allocation"] = None if req.allocation is None else list(req.allocation)
    d["copies"] = None if req.copies is None else list(req.copies)
    return d
