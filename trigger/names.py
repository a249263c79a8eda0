"""Nearest-name suggestions (Levenshtein edit distance) for helpful ``KeyError`` messages.

>>> edit_distance("jetEt", "jetEta")
1
>>> nearest("L1Mu_ptt", ["L1Mu_pt", "L1Mu_eta", "L1Jet_pt"])
['L1Mu_pt', 'L1Mu_eta', 'L1Jet_pt']
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["JET_INPUTS", "edit_distance", "nearest", "suggest"]

#: the 16 jet-substructure inputs of the hls4ml jet data set, in its order: written by the samples
#: (trigger/samples/substructure.py), read by the schemas and the jet tagger
JET_INPUTS: tuple[str, ...] = (
    "j_zlogz",
    "j_c1_b0_mmdt",
    "j_c1_b1_mmdt",
    "j_c1_b2_mmdt",
    "j_c2_b1_mmdt",
    "j_c2_b2_mmdt",
    "j_d2_b1_mmdt",
    "j_d2_b2_mmdt",
    "j_d2_a1_b1_mmdt",
    "j_d2_a1_b2_mmdt",
    "j_m2_b1_mmdt",
    "j_m2_b2_mmdt",
    "j_n2_b1_mmdt",
    "j_n2_b2_mmdt",
    "j_mass_mmdt",
    "j_multiplicity",
)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions all cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def nearest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The ``n`` candidates closest to ``name`` (case-insensitive distance, ties by name)."""
    lowered = name.lower()
    scored = sorted((edit_distance(lowered, c.lower()), c) for c in set(candidates))
    return [c for _, c in scored[:n]]


def suggest(name: str, candidates: Iterable[str], n: int = 3) -> str:
    """``"; did you mean 'a', 'b'?"`` or an empty string when there is nothing to suggest."""
    near = nearest(name, candidates, n)
    return "; did you mean " + ", ".join(repr(c) for c in near) + "?" if near else ""
