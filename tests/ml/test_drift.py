"""Drift features and distribution comparisons on real digits."""

from __future__ import annotations

import numpy as np
import pytest

from ml import drift
from tests.ml.factories import Mnist


class TestImageFeatures:
    def test_features_of_real_digits(self, mnist: Mnist) -> None:
        features = drift.image_features(mnist.test[0][:500])
        assert set(features) == set(drift.IMAGE_FEATURES)
        assert 0.05 < features["mean_intensity"].mean() < 0.2
        assert 0.05 < features["ink_fraction"].mean() < 0.25
        assert 12 < features["center_x"].mean() < 16 and 12 < features["center_y"].mean() < 16

    def test_shapes_agree_and_blank_images_are_centred(self) -> None:
        images = np.zeros((2, 1, 28, 28), dtype=np.float32)
        images[1, 0, 0, 27] = 1.0
        flat = drift.image_features(images.reshape(2, 784))
        square = drift.image_features(images)
        assert flat["center_x"].tolist() == square["center_x"].tolist() == [13.5, 27.0]
        assert square["center_y"].tolist() == [13.5, 0.0]


class TestHistograms:
    def test_proportions_of_the_reference_are_near_uniform(self) -> None:
        values = np.random.default_rng(0).normal(size=5000)
        stored = drift.histogram(values, values)
        assert len(stored["edges"]) == 11 and sum(stored["proportions"]) == pytest.approx(1.0)
        assert max(stored["proportions"]) - min(stored["proportions"]) < 0.01

    def test_out_of_range_values_fall_in_the_end_bins(self) -> None:
        assert drift.proportions(np.array([-5.0, 0.5, 5.0, np.nan]), [0.0, 1.0, 2.0]) == [2 / 3, 1 / 3]

    def test_constant_feature(self) -> None:
        stored = drift.histogram(np.ones(10), np.ones(4))
        assert stored["edges"] == [1.0, 1.0] and stored["proportions"] == [1.0]

    def test_shift_is_detected(self, mnist: Mnist) -> None:
        reference = {
            name: drift.histogram(values, values)
            for name, values in drift.image_features(mnist.train[0][:2000]).items()
        }
        same = drift.compare(reference, drift.image_features(mnist.test[0][:2000]))
        inverted = drift.compare(reference, drift.image_features(1.0 - mnist.test[0][:2000]))
        assert all(scores["psi"] < 0.1 and scores["ks"] < 0.1 for scores in same.values())
        assert inverted["mean_intensity"]["psi"] > 1 and inverted["mean_intensity"]["ks"] > 0.85

    def test_confidence_reference(self) -> None:
        stored = drift.confidence_reference(np.array([[0.95, 0.05], [0.35, 0.65]]))
        assert stored["mean"] == pytest.approx(0.8)
        assert stored["proportions"] == [0.0] * 6 + [0.5, 0.0, 0.0, 0.5]
