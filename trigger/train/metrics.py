"""Classifier metrics without scikit-learn: ROC curves, their area, accuracy.

The area is the Mann-Whitney statistic: the probability that a random signal scores above a random
background, ties counted one half (scipy's average ranks), which is what ``sklearn.metrics.roc_auc_score``
computes. The curve lists every distinct threshold from the highest down.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["accuracy", "roc_auc", "roc_curve"]


def roc_auc(scores: ArrayLike, is_signal: ArrayLike) -> float:
    """Area under the ROC curve of ``scores`` for the boolean truth ``is_signal``."""
    from scipy.stats import rankdata

    s = np.asarray(scores, dtype=np.float64)
    sig = np.asarray(is_signal, dtype=bool)
    n_s, n_b = int(sig.sum()), int((~sig).sum())
    if not n_s or not n_b:
        raise ValueError(f"the ROC needs signal and background; got {n_s} signal, {n_b} background")
    ranks = rankdata(s)
    return float((ranks[sig].sum() - n_s * (n_s + 1) / 2) / (n_s * n_b))


def roc_curve(scores: ArrayLike, is_signal: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(signal efficiency, background efficiency) for thresholds ``score >= t`` over every distinct score."""
    s = np.asarray(scores, dtype=np.float64)
    sig = np.asarray(is_signal, dtype=bool)
    order = np.argsort(-s, kind="stable")
    s, sig = s[order], sig[order]
    last = np.r_[s[1:] != s[:-1], True]  # the end of each run of equal scores
    tp, fp = np.cumsum(sig)[last], np.cumsum(~sig)[last]
    return tp / max(int(sig.sum()), 1), fp / max(int((~sig).sum()), 1)


def accuracy(scores: ArrayLike, labels: ArrayLike) -> float:
    """Fraction of rows whose highest score is the label's (first maximum on ties)."""
    return float(np.mean(np.argmax(np.asarray(scores), axis=1) == np.asarray(labels)))
