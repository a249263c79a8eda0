"""Non-prompt muon sources of a crossing: decays in flight of pi, K, K0L and hadron punch-through.

Pythia leaves pi+-, K+- and K0L stable; here each such hadron (pT > 2 GeV, |eta| < 2.5, from the hard
event or an overlaid pool entry) may yield a muon:

* **decay in flight** before it is absorbed: the path is the track length to the calorimeter face
  (r = 1.29 m, |z| = 3.15 m) plus one interaction length (0.20 m) inside it, so
  P = 1 - exp(-L m / (p c tau)) times the muonic branching ratio (pi 1.0, K+- 0.636 K -> mu nu,
  K0L 0.270 K -> pi mu nu). The muon goes along the hadron with the fraction z of its momentum:
  two-body decays give z uniform in [(m_mu / m)^2, 1] (pi 0.573, K 0.046); Kmu3 is taken uniform in
  [0, 1] (an approximation; its true mean is about 0.4);
* **heavy flavour**: each weakly decaying b or c hadron (Pythia decays them; its own muons are dropped
  before the muon system and replaced by these) gives a muon with its inclusive semileptonic branching
  ratio (b 0.105, D+ 0.176, D0 0.068, Ds 0.065, charm baryons 0.036), along the hadron with the
  momentum fraction z = 0.9 u^2 (u uniform; mean 0.3, an approximation of the lepton spectrum);
  the muon's charge follows the b or c quark; mixing and cascades through the tau are left out;
* **punch-through** (assumed, not tuned to data): a charged hadron of momentum p leaves a muon-like
  track in the stations with probability 2e-4 sqrt(p / 10 GeV) (at most 1e-2), carrying 0.3 p.

Statistics (importance sampling of the sources, exact for any number of them). lambda_i is the
probability that source i gives a muon with pT > ``cut``. A *normal* crossing keeps only the muons
below the cut and its weight is multiplied by P(no source above the cut) = prod (1 - lambda_i). A
*forced* crossing picks one source i with q_i = lambda_i g_i / G (G = sum lambda_k g_k; g = d G' / Lambda +
(1 - d) pT^p, G' = sum lambda_k pT_k^p: pT^p favours the hard hadrons that make high-pT muons, the defensive
share d = 0.3 in proportion to lambda alone keeps every weight factor below Lambda / d), draws its muon
above the cut and samples every other source physically (above the cut too); with A the sources above the
cut in the crossing, its weight is multiplied by 1 / sum_{j in A} (q_j / lambda_j) = G / sum_{j in A} g_j (the mixture
estimator: every configuration with at least one source above the cut can be reached from each of
its sources). A pool muon above the cut is in a crossing k ~ Poisson(lambda) times (the overlay draws
entries with replacement): it counts exp(-lambda) in P(no source above the cut), a forced pick of it adds
one copy to the k the overlay drew (k + 1 is Poisson(lambda) size-biased, k P(k) / lambda) and A counts it
k + 1 times. Normal + forced estimate every rate without bias (tested against physical sampling).

*Two forced sources* (``forced2``, for multi-muon seeds): i with s_i / G (s = lambda g), then j with s_j / D_i
(D_i = G - s_i for a hadron, which cannot give two muons; G for a pool muon, which then comes twice), both
size-biased. Its density over the physical one at a crossing is q2 / p = (1 / G) [sum_i K_i g_i (S - K_i g_i) /
D_i + sum_pool K_i (K_i - 1) g_i^2 / G], with K_i the copies of source i above the cut and S = sum K g (one
forced: q1 / p = S / G). A stratum's normal, forced and forced-two crossings (n0, n1, n2) are one mixture: a
crossing weighs (its stratum's probability) p / (n0 q0 + n1 q1 + n2 q2) (the balance heuristic; q0 / p =
1 / P(no source above the cut) where there is none, else 0), i.e. P(none) / n0 for a normal crossing and
G / (n1 S + n2 G q2 / p) for the forced ones: unbiased for every configuration, as each is reached by one of
the three (tested against physical sampling).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "CANDIDATE_IDS",
    "CANDIDATE_MAX_ETA",
    "CANDIDATE_MIN_PT",
    "MuonSources",
    "Sourced",
    "candidates",
    "heavy_candidates",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
CANDIDATE_IDS = (211, 321, 130)
CANDIDATE_MIN_PT = 2.0
CANDIDATE_MAX_ETA = 2.5
_M_MU = 0.10566
# pid: mass (GeV), c tau (m), muonic branching ratio, lower edge of z
_DECAY = {
    211: (0.13957, 7.8045, 0.99988, (0.10566 / 0.13957) ** 2),
    321: (0.49368, 3.7112, 0.6356, (0.10566 / 0.49368) ** 2),
    130: (0.49761, 15.34, 0.2704, 0.0),
}
# open heavy flavour (weak decays, prompt): inclusive semileptonic branching ratio to one muon (PDG, e/mu
# universality): b hadrons 0.105; D+ 0.176, D0 0.068, Ds 0.065, charm baryons 0.036
_SEMILEPTONIC = {
    **{b: 0.105 for b in (511, 521, 531, 541, 5122, 5132, 5232, 5332)},
    411: 0.176,
    421: 0.068,
    431: 0.065,
    **{c: 0.036 for c in (4122, 4132, 4232, 4332)},
}
_SL_ZMAX = 0.9  # semileptonic muon momentum fraction z = 0.9 u^2 (u uniform): mean 0.3
_R_FACE, _Z_FACE, _LAMBDA_I = 1.29, 3.15, 0.20


def _semileptonic(pid: IntArray) -> npt.NDArray[np.bool_]:
    return np.asarray(np.isin(np.abs(pid), tuple(_SEMILEPTONIC)))


def _sl_br(pid: IntArray) -> FloatArray:
    apid = np.abs(pid)
    out = np.zeros(apid.size)
    for code, br in _SEMILEPTONIC.items():
        out[apid == code] = br
    return out


def _sl_charge(pid: IntArray) -> FloatArray:
    """Charge of the muon of b -> c mu nu or c -> s mu nu: b mesons (q bbar for pid > 0) give mu+ for pid > 0,
    b baryons (bqq) mu-, charm hadrons (c in them for pid > 0) mu+."""
    apid = np.abs(pid)
    b_baryon = (apid // 1000) % 10 == 5
    return np.asarray(np.where(b_baryon, -np.sign(pid), np.sign(pid)).astype(np.float64))


def heavy_candidates(pid: IntArray, pt: FloatArray, eta: FloatArray) -> npt.NDArray[np.bool_]:
    """Heavy-flavour hadrons that may give a semileptonic muon in the acceptance."""
    return np.asarray(_semileptonic(pid) & (pt > CANDIDATE_MIN_PT) & (np.abs(eta) < CANDIDATE_MAX_ETA))


def candidates(pid: IntArray, pt: FloatArray, eta: FloatArray) -> npt.NDArray[np.bool_]:
    """Final-state particles that may decay to (or punch through as) a muon."""
    return np.asarray(np.isin(np.abs(pid), CANDIDATE_IDS) & (pt > CANDIDATE_MIN_PT) & (np.abs(eta) < CANDIDATE_MAX_ETA))


@dataclass(frozen=True)
class Sourced:
    """Muons made by the sources (flat, owner ``event``) and the per-crossing weight factor."""

    event: IntArray
    pt: FloatArray
    eta: FloatArray
    phi: FloatArray
    charge: FloatArray
    factor: FloatArray


@dataclass(frozen=True)
class MuonSources:
    """See the module docstring; numbers are fields (stored in the provenance)."""

    # GeV, muon pT above which sources are counted in Lambda / forced: below 3 GeV no muon is measured above
    # 7 GeV (3e-5 at 3 GeV, 0.3 % above 22 GeV at 4 GeV), so normal crossings hardly fire a muon seed
    cut: float = 3.0
    punch_prob_10: float = 2e-4
    punch_power: float = 0.5
    punch_max: float = 1e-2
    punch_fraction: float = 0.3
    importance_power: float = 2.0
    defensive: float = 0.3  # share of the forced picks in proportion to lambda alone (weight factor <= Lambda / 0.3)

    def _tables(self, pid: IntArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        apid = np.abs(pid)
        cols = [np.zeros(apid.size) for _ in range(4)]
        for code, values in _DECAY.items():
            sel = apid == code
            for c, v in zip(cols, values, strict=True):
                c[sel] = v
        return cols[0], cols[1], cols[2], cols[3]

    def decay_probability(self, pid: IntArray, pt: FloatArray, eta: FloatArray) -> FloatArray:
        """P(the hadron decays to a muon before it is absorbed; heavy flavour: at all), any muon momentum."""
        mass, ctau, br, _ = self._tables(pid)
        with np.errstate(divide="ignore", invalid="ignore"):
            path = np.minimum(_R_FACE * np.cosh(eta), _Z_FACE / np.abs(np.tanh(eta))) + _LAMBDA_I
            p = pt * np.cosh(eta)
            in_flight = br * -np.expm1(-path * mass / (p * np.where(ctau > 0, ctau, 1.0)))
        return np.asarray(np.where(_semileptonic(pid), _sl_br(pid), np.nan_to_num(in_flight)))

    def punch_probability(self, pid: IntArray, pt: FloatArray, eta: FloatArray) -> FloatArray:
        p = pt * np.cosh(eta)
        prob = np.minimum(self.punch_prob_10 * (p / 10.0) ** self.punch_power, self.punch_max)
        return np.asarray(np.where(np.isin(np.abs(pid), (211, 321)), prob, 0.0))

    def _above(self, pid: IntArray, pt: FloatArray) -> tuple[FloatArray, FloatArray]:
        """P(z pT > cut | decay) and the z range's lower edge."""
        _, _, _, zmin = self._tables(pid)
        frac = np.clip((1.0 - np.maximum(zmin, self.cut / pt)) / (1.0 - zmin), 0.0, 1.0)
        sl = np.clip(1.0 - np.sqrt(np.clip(self.cut / pt / _SL_ZMAX, 0.0, 1.0)), 0.0, 1.0)
        return np.asarray(np.where(_semileptonic(pid), sl, frac)), zmin

    def lambdas(self, pid: IntArray, pt: FloatArray, eta: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(decay, punch-through) probabilities of a muon above ``cut`` per hadron, as :meth:`sample` draws
        them (a hadron that decays does not punch through)."""
        frac, _ = self._above(pid, pt)
        p_decay = self.decay_probability(pid, pt, eta)
        punch = self.punch_probability(pid, pt, eta) * (1.0 - p_decay) * (self.punch_fraction * pt > self.cut)
        return np.asarray(p_decay * frac), np.asarray(punch)

    def sample(
        self,
        n: int,
        event: IntArray,
        pid: IntArray,
        pt: FloatArray,
        eta: FloatArray,
        phi: FloatArray,
        charge: FloatArray,
        mode: str,
        rng: np.random.Generator,
        prompt: dict[str, FloatArray] | None = None,
        present: tuple[IntArray, IntArray] | None = None,
        mix: tuple[float, float, float] | None = None,
    ) -> Sourced:
        """Muons of ``n`` crossings from their candidate hadrons (flat arrays, owner ``event``).

        ``mode``: ``physical`` (every source sampled, factor 1: samples of weight 1), ``normal``, ``forced``
        or ``forced2`` (the kinds of zero-bias crossings of the module docstring: one or two sources forced).
        ``mix``: the numbers of normal, forced and forced-two crossings of the stratum (None: no forced-two,
        as (1, 1, 0)); the factor is then n_mode p / (n1 q1 + n2 q2), the balance-heuristic weight of the
        mixture, so each part times its factor / n_mode estimates the stratum with the others. ``prompt``: muons
        above the cut of the pile-up pool (``pt, eta, phi, charge, lam``: each is in a crossing
        Poisson(``lam``) times); they are sources like the hadrons, the same for every crossing.
        ``present`` (forced mode): (crossing, index in ``prompt``) of the pool muons above the cut the
        overlay put in, once per copy, which the caller keeps; they are in A of the module docstring,
        and a forced pool muon is added once more even if present (the size-biased Poisson count).
        """
        lam_d, lam_p = self.lambdas(pid, pt, eta)
        prompt_lam = prompt["lam"] if prompt is not None else np.zeros(0)
        with np.errstate(divide="ignore"):
            log_none = np.log1p(-np.minimum(lam_d + lam_p, 1.0))
        log_none = np.bincount(event, weights=log_none, minlength=n).astype(np.float64) - float(np.sum(prompt_lam))
        factor = np.exp(log_none) if mode == "normal" else np.ones(n)
        # physical decays / punch-through (normal crossings: only the muons below the cut)
        _, zmin = self._above(pid, pt)
        decays = rng.random(pid.size) < self.decay_probability(pid, pt, eta)
        u = rng.random(pid.size)
        z = np.where(_semileptonic(pid), _SL_ZMAX * u**2, zmin + (1.0 - zmin) * u)
        mu_pt = np.where(decays, z * pt, 0.0)
        punch = (rng.random(pid.size) < self.punch_probability(pid, pt, eta)) & ~decays
        mu_pt = np.where(punch, self.punch_fraction * pt, mu_pt)
        keep = (decays | punch) & ((mu_pt < self.cut) | (mode != "normal"))
        k0l = np.abs(pid) == 130
        mu_charge = np.where(k0l, rng.choice(np.array([-1.0, 1.0]), pid.size), charge)
        mu_charge = np.where(_semileptonic(pid), _sl_charge(pid), mu_charge)
        if mode not in ("forced", "forced2"):
            out = [event[keep], mu_pt[keep], eta[keep], phi[keep], mu_charge[keep]]
            return Sourced(out[0].astype(np.int64), out[1], out[2], out[3], out[4], factor)
        m = prompt_lam.size
        cand = {"event": event, "pid": pid, "pt": pt, "eta": eta, "phi": phi, "charge": mu_charge}
        cand_d, cand_p = lam_d, lam_p
        if prompt is not None and m:
            rows = {
                "event": np.repeat(np.arange(n), m),
                "pid": np.full(n * m, 13, np.int64),
                **{k: np.tile(prompt[k], n) for k in ("pt", "eta", "phi", "charge")},
            }
            cand = {k: np.concatenate([cand[k], rows[k]]) for k in cand}
            cand_d = np.concatenate([lam_d, np.tile(prompt_lam, n)])
            cand_p = np.concatenate([lam_p, np.zeros(n * m)])
        # defensive mixture: g_eff = d G / Lambda + (1 - d) pT^p per crossing, so q_i = lambda_i (d / Lambda +
        # (1 - d) g_i / G) and the weight factor G / sum_A g_eff stays below Lambda / d
        raw = cand["pt"] ** self.importance_power
        lam_c = np.bincount(cand["event"], weights=cand_d + cand_p, minlength=n).astype(np.float64)
        big_g = np.bincount(cand["event"], weights=(cand_d + cand_p) * raw, minlength=n).astype(np.float64)
        mean_g = np.divide(big_g, lam_c, out=np.zeros(n), where=lam_c > 0)
        d = self.defensive
        g = d * mean_g[cand["event"]] + (1.0 - d) * raw
        score = (cand_d + cand_p) * g
        bernoulli = np.arange(score.size) < pid.size  # a hadron gives at most one muon; pool muons are Poisson
        first, total, pos = self._pick(n, cand["event"], score, rng)
        picks = [first]
        if mode == "forced2":  # the second source: in proportion to lambda g, the first hadron excluded
            safe = np.clip(first, 0, max(score.size - 1, 0))
            excl = np.where((first >= 0) & bernoulli[safe], score[safe], 0.0) if score.size else np.zeros(n)
            second, _, _ = self._pick(n, cand["event"], score, rng, pos, excl)
            second = np.where(first >= 0, second, -1)
            picks.append(second)
        has = np.all(np.stack(picks) >= 0, axis=0)
        for c in picks:
            hadron = c[has][c[has] < pid.size]
            keep[hadron] = False  # a forced hadron's physical draw is replaced by its forced muon
        forced_pt = [self._forced_pt(c[has], cand["pid"], cand["pt"], cand_d, cand_p, rng) for c in picks]
        # A: the sources above the cut in the crossing (a pool muon once per copy), as candidate indices
        a_src = [np.flatnonzero(keep & (mu_pt > self.cut))]
        if present is not None and m:
            p_event, p_idx = np.asarray(present[0], np.int64), np.asarray(present[1], np.int64)
            a_src.append(pid.size + p_event * m + p_idx)  # the rows of the prompt muons in cand
        a_src += [c[has] for c in picks]
        r1, r2 = _densities(n, cand["event"], np.concatenate(a_src), g, score, bernoulli, total)
        _, n1, n2 = mix if mix is not None else (1.0, 1.0, 0.0)
        if mode == "forced2" and n2 <= 0:
            raise ValueError("forced2 crossings need mix with a positive forced-two part size")
        mixture = n1 * r1 + n2 * r2  # A is never empty here, so the normal proposal has density 0
        n_mode = n1 if mode == "forced" else n2
        factor = np.where(has, n_mode / np.where(mixture > 0, mixture, 1.0), 0.0)
        cs = [c[has] for c in picks]
        out = [
            np.concatenate([event[keep], *[np.flatnonzero(has)] * len(picks)]),
            np.concatenate([mu_pt[keep], *forced_pt]),
            np.concatenate([eta[keep], *[cand["eta"][c] for c in cs]]),
            np.concatenate([phi[keep], *[cand["phi"][c] for c in cs]]),
            np.concatenate([mu_charge[keep], *[cand["charge"][c] for c in cs]]),
        ]
        return Sourced(out[0].astype(np.int64), out[1], out[2], out[3], out[4], factor)

    @staticmethod
    def _pick(
        n: int,
        event: IntArray,
        score: FloatArray,
        rng: np.random.Generator,
        skip: IntArray | None = None,
        skip_score: FloatArray | None = None,
    ) -> tuple[IntArray, FloatArray, IntArray]:
        """Per crossing one candidate in proportion to ``score`` (-1 if none): (index, total score, position in
        the event-sorted order). ``skip``/``skip_score``: a position per crossing whose score (0: none) is
        left out of the draw."""
        if score.size == 0:  # no candidate in any crossing
            return np.full(n, -1, np.int64), np.zeros(n), np.zeros(n, np.int64)
        order = np.argsort(event, kind="stable")
        ev_sorted, score_sorted = event[order], score[order]
        cum = np.cumsum(score_sorted)
        start = np.searchsorted(ev_sorted, np.arange(n), side="left")
        stop = np.searchsorted(ev_sorted, np.arange(n), side="right")
        base = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
        total = np.where(stop > start, cum[np.maximum(stop - 1, 0)] - base, 0.0)
        excl = np.zeros(n) if skip_score is None else skip_score
        target = base + rng.random(n) * (total - excl)
        if skip is not None:  # step over the skipped candidate's interval [cum - s, cum)
            lo_skip = cum[np.clip(skip, 0, cum.size - 1)] - excl
            target = np.where((excl > 0) & (target >= lo_skip), target + excl, target)
        pick = np.clip(np.searchsorted(cum, target, side="right"), start, np.maximum(stop - 1, start))
        ok = total - excl > 0
        if skip is not None:  # rounding must not land on the skipped one
            pick = np.where(ok & (excl > 0) & (pick == skip), np.where(pick + 1 < stop, pick + 1, pick - 1), pick)
        chosen = np.where(ok, order[np.minimum(pick, order.size - 1)], -1)
        return chosen, total, pick

    def _forced_pt(
        self, c: IntArray, pid: IntArray, pt: FloatArray, lam_d: FloatArray, lam_p: FloatArray, rng: np.random.Generator
    ) -> FloatArray:
        """The forced muon's pT above the cut for the chosen candidates ``c``: decay or punch-through, in proportion."""
        lam = lam_d + lam_p
        is_decay = rng.random(c.size) * lam[c] < lam_d[c]
        _, zmin = self._above(pid[c], pt[c])
        lo = np.maximum(zmin, self.cut / pt[c])
        u = rng.random(c.size)
        z = lo + (1.0 - lo) * u
        # semileptonic: z = z_max v^2 with v uniform above sqrt(cut / (pT z_max))
        v_lo = np.sqrt(np.clip(self.cut / pt[c] / _SL_ZMAX, 0.0, 1.0))
        z = np.where(_semileptonic(pid[c]), _SL_ZMAX * (v_lo + (1.0 - v_lo) * u) ** 2, z)
        fpt = np.where(is_decay, z * pt[c], self.punch_fraction * pt[c])
        return np.asarray(np.where(np.abs(pid[c]) == 13, pt[c], fpt))  # a prompt pool muon: as it is


def _densities(
    n: int,
    event: IntArray,
    a_src: IntArray,
    g: FloatArray,
    score: FloatArray,
    bernoulli: npt.NDArray[np.bool_],
    total: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Per crossing, q1 / p and q2 / p: the one- and two-source forced proposals' densities over the physical
    one at this crossing's sources above the cut (``a_src``, candidate indices, a pool muon once per copy).

    One source: i with s_i / G (s = lambda g, G = sum s), size-biased (K_i copies: K_i / lambda_i), so
    q1 / p = sum_i K_i g_i / G = S / G. Two: i with s_i / G, then j with s_j / D_i (D_i = G - s_i for a
    hadron, which is not picked twice; G for a pool muon, which may be: two copies added, K (K - 1) / lambda^2),
    so q2 / p = (1 / G) [sum_i K_i g_i (S - K_i g_i) / D_i + sum_pool K_i (K_i - 1) g_i^2 / G].
    """
    src, k = np.unique(a_src, return_counts=True)
    ev = event[src]
    kg = k * g[src]
    big_s = np.bincount(ev, weights=kg, minlength=n).astype(np.float64)
    safe_g = np.where(total > 0, total, 1.0)
    den = np.where(bernoulli[src], total[ev] - score[src], total[ev])
    pair = np.divide(kg * (big_s[ev] - kg), den, out=np.zeros(src.size), where=den > 0)
    pair += np.where(bernoulli[src], 0.0, k * (k - 1) * g[src] ** 2 / safe_g[ev])
    r2 = np.bincount(ev, weights=pair, minlength=n).astype(np.float64) / safe_g
    return big_s / safe_g, r2
