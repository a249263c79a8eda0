"""ROC area and curve against hand-worked cases and brute-force pair counting."""

from __future__ import annotations

import numpy as np
import pytest

from trigger.train.metrics import accuracy, roc_auc, roc_curve


def test_auc_hand_worked() -> None:
    # signal 0.9, 0.4; background 0.5, 0.1: pairs (0.9>0.5, 0.9>0.1, 0.4<0.5, 0.4>0.1) -> 3/4
    assert roc_auc([0.9, 0.4, 0.5, 0.1], [1, 1, 0, 0]) == 0.75
    # a tie counts one half
    assert roc_auc([0.5, 0.5], [1, 0]) == 0.5
    with pytest.raises(ValueError, match="signal and background"):
        roc_auc([1.0, 2.0], [1, 1])


def test_auc_against_brute_force_pairs() -> None:
    rng = np.random.default_rng(1)
    s = np.round(rng.normal(size=400), 1)  # many ties
    y = rng.random(400) < 0.3
    sig, bkg = s[y], s[~y]
    brute = (np.sum(sig[:, None] > bkg[None, :]) + 0.5 * np.sum(sig[:, None] == bkg[None, :])) / (len(sig) * len(bkg))
    assert roc_auc(s, y) == pytest.approx(brute, abs=1e-12)
    eff_s, eff_b = roc_curve(s, y)
    # the trapezoid area under (eff_b, eff_s) is the same number
    assert np.trapezoid(np.r_[0, eff_s], np.r_[0, eff_b]) == pytest.approx(brute, abs=1e-12)
    for t, es, eb in zip(np.unique(s)[::-1], eff_s, eff_b, strict=True):
        assert es == np.mean(sig >= t) and eb == np.mean(bkg >= t)


def test_accuracy() -> None:
    assert accuracy([[0.1, 0.9], [0.8, 0.2], [0.5, 0.5]], [1, 1, 0]) == pytest.approx(2 / 3)
