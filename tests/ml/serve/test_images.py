"""Digit pictures people send, turned into MNIST-like 28x28 white-on-black floats."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from ml.serve import images
from ml.serve.errors import BadRequest
from tests.ml.factories import Mnist


def png(array: np.ndarray, mode: str | None = None) -> bytes:
    picture = Image.fromarray(array) if mode is None else Image.fromarray(array).convert(mode)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


class TestFromPng:
    def test_a_28x28_digit_is_taken_as_it_is(self, mnist: Mnist) -> None:
        digit = np.round(mnist.test[0][0].reshape(28, 28) * 255).astype(np.uint8)
        assert np.array_equal(images.from_png(png(digit)), digit / np.float32(255))

    def test_dark_ink_on_light_paper_is_inverted(self, mnist: Mnist) -> None:
        digit = np.round(mnist.test[0][0].reshape(28, 28) * 255).astype(np.uint8)
        inverted = images.from_png(png(255 - digit, "RGB"))
        assert np.allclose(inverted, digit / 255, atol=1 / 255)

    def test_transparent_background_counts_as_paper(self) -> None:
        rgba = np.zeros((28, 28, 4), dtype=np.uint8)
        rgba[10:18, 12:16] = (0, 0, 0, 255)  # black ink; everything else fully transparent
        pixels = images.from_png(png(rgba))
        assert pixels[14, 14] == 1.0 and pixels[0, 0] == 0.0

    def test_a_large_picture_is_framed_in_20x20_and_centred(self) -> None:
        paper = np.zeros((300, 500), dtype=np.uint8)
        paper[20:220, 350:450] = 255  # a tall bar in the top-right corner
        pixels = images.from_png(png(paper))
        rows, cols = np.flatnonzero(pixels.max(axis=1) > 0.5), np.flatnonzero(pixels.max(axis=0) > 0.5)
        assert pixels.shape == (28, 28) and rows[-1] - rows[0] + 1 == 20 and cols[-1] - cols[0] + 1 == 10
        mass = pixels.sum()
        centre = (
            (pixels.sum(axis=1) * np.arange(28)).sum() / mass,
            (pixels.sum(axis=0) * np.arange(28)).sum() / mass,
        )
        assert centre == pytest.approx((13.5, 13.5), abs=0.6)

    def test_a_blank_picture_is_black(self) -> None:
        assert images.from_png(png(np.full((64, 64), 255, dtype=np.uint8))).max() == 0

    def test_not_a_png(self) -> None:
        with pytest.raises(BadRequest, match="photo: not a PNG file"):
            images.from_png(b"GIF89a....", "photo")


class TestFromValue:
    def test_lists_in_0_1_or_0_255(self) -> None:
        flat = np.linspace(0, 1, 784)
        assert np.allclose(images.from_value(flat.tolist(), "image"), flat.reshape(28, 28))
        assert np.allclose(
            images.from_value((flat * 255).reshape(28, 28).tolist(), "image"), flat.reshape(28, 28)
        )

    def test_base64_png_and_data_url(self) -> None:
        digit = np.zeros((28, 28), dtype=np.uint8)
        digit[5:20, 13:15] = 255
        encoded = base64.b64encode(png(digit)).decode()
        for text in (encoded, f"data:image/png;base64,{encoded}"):
            assert np.array_equal(images.from_value(text, "image"), digit / np.float32(255))

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ([[0.0] * 28] * 27, r"image: expected 28x28 or 784 pixel values, got shape \[27, 28\]"),
            ([float("nan")] * 784, r"pixel values must lie in \[0, 1\] \(or 0-255\)"),
            ({"r": 1}, "expected a 28x28 list of pixel values, 784 values or a base64 PNG"),
        ],
    )
    def test_bad_values(self, value: object, message: str) -> None:
        with pytest.raises(BadRequest, match=message):
            images.from_value(value, "image")
