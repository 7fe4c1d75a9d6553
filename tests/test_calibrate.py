"""evals/calibrate.py's fit: a logistic model over reading features, and the product's decision replayed."""

import sys

import numpy as np
import pytest

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "evals"))

import calibrate  # noqa: E402


def test_the_logistic_fit_recovers_weights_on_the_features_own_scale():
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.normal(0, 10, 4000), rng.integers(0, 2, 4000)])
    truth = 1 / (1 + np.exp(-(0.3 * x[:, 0] + 2.0 * x[:, 1] - 1.0)))
    y = (rng.random(4000) < truth).astype(float)
    coef, intercept = calibrate.fit_logistic(x, y, np.ones(4000))
    assert list(coef) == pytest.approx([0.3, 2.0], rel=0.15) and intercept == pytest.approx(-1.0, abs=0.3)


def test_decide_takes_the_most_probable_reading_of_the_top_k_and_the_cut_keeps_the_promised_operating_point():
    def reading(rank, margin, right):
        return {"rank": rank, "margin": margin, "right": right}

    rows = [
        {"set": "squad", "answerable": True, "readings": [reading(1, -1.0, False), reading(2, 3.0, True)]},
        {"set": "squad", "answerable": False, "readings": [reading(1, 1.0, False)]},
        {"set": "dev", "answerable": True, "readings": [reading(1, 2.0, True)]},
        {"set": "dev", "answerable": False, "readings": []},
    ]
    one, two = calibrate.Calibration({"margin": 1.0}, 0.0, 0.5, 1), calibrate.Calibration({"margin": 1.0}, 0.0, 0.5, 2)
    p1, right1, _ = calibrate.decide(rows, one)
    p2, right2, answerable = calibrate.decide(rows, two)
    assert list(right1) == [False, False, True, False] and list(right2) == [True, False, True, False]
    assert p2[0] > p1[0] and p2[3] == 0.0
    weights = calibrate.question_weights(rows)
    assert weights.sum() == 1.0 and weights[0] == weights[2] == 0.25
    score, cut = calibrate.best_cut(p2, right2, answerable, weights, np.array([False, False, True, True]))
    # Answer the first and third, abstain on the second (its margin 1 is below the cut) and the fourth.
    assert score == 1.0 and p2[1] < cut <= min(p2[0], p2[2])
