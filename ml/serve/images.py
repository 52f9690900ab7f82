"""Digit images from what people send: pixel lists and PNG files, as 28x28 floats in [0, 1].

A 28x28 PNG is taken as it is; any other size is framed the way MNIST was made: the ink's bounding
box scaled to fit 20x20 pixels and placed so its centre of mass sits at the centre of a 28x28
canvas. Light backgrounds are inverted, since the model knows white digits on black.
"""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

import numpy as np

from ml.serve.errors import BadRequest

SIDE = 28
_BOX = 20
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MAX_PIXELS = 40_000_000


def from_value(value: Any, where: str) -> np.ndarray:
    """One image given as a 28x28 nested list, a flat list of 784 values (in [0, 1], or 0-255 when
    any value is above 1) or a base64 PNG string (a ``data:`` URL too); ``where`` names it in errors."""
    if isinstance(value, str):
        return from_png(_base64(value, where), where)
    try:
        array = np.asarray(value, dtype=np.float32)
    except (ValueError, TypeError):
        raise BadRequest(
            f"{where}: expected a 28x28 list of pixel values, 784 values or a base64 PNG"
        ) from None
    if array.shape not in ((SIDE, SIDE), (SIDE * SIDE,)):
        raise BadRequest(f"{where}: expected 28x28 or 784 pixel values, got shape {list(array.shape)}")
    if not np.isfinite(array).all() or array.min() < 0 or array.max() > 255:
        raise BadRequest(f"{where}: pixel values must lie in [0, 1] (or 0-255)")
    if array.max() > 1:
        array = array / 255.0
    return array.reshape(SIDE, SIDE)


def from_png(data: bytes, where: str = "image") -> np.ndarray:
    """A PNG file's picture as 28x28 floats in [0, 1], white on black."""
    from PIL import Image, UnidentifiedImageError

    if not data.startswith(_PNG_SIGNATURE):
        raise BadRequest(f"{where}: not a PNG file")
    try:
        with Image.open(io.BytesIO(data)) as picture:
            if picture.width * picture.height > _MAX_PIXELS:
                raise BadRequest(f"{where}: the PNG is larger than {_MAX_PIXELS} pixels")
            gray = _grayscale(picture)
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise BadRequest(f"{where}: unreadable PNG ({error})") from None
    pixels = np.asarray(gray, dtype=np.float32) / 255.0
    if _background(pixels) > 0.5:
        pixels = 1.0 - pixels
    if pixels.shape == (SIDE, SIDE):
        return pixels
    return _framed(pixels)


def _base64(text: str, where: str) -> bytes:
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"{where}: a string must be a base64-encoded PNG") from None


def _grayscale(picture: Any) -> Any:
    """Luminance; transparent pixels count as white paper."""
    from PIL import Image

    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, rgba).convert("L")
    return picture.convert("L")


def _background(pixels: np.ndarray) -> float:
    """The mean of the border pixels: the paper's brightness."""
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    return float(border.mean())


def _framed(pixels: np.ndarray) -> np.ndarray:
    """MNIST framing of a picture of any size (see the module docstring)."""
    from PIL import Image

    ink = pixels > 0.1
    if not ink.any():
        return np.zeros((SIDE, SIDE), dtype=np.float32)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = pixels[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = _BOX / max(crop.shape)
    height, width = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    image = Image.fromarray(np.round(crop * 255).astype(np.uint8)).resize(
        (width, height), Image.Resampling.LANCZOS
    )
    digit = np.asarray(image, dtype=np.float32) / 255.0
    canvas = np.zeros((SIDE, SIDE), dtype=np.float32)
    mass = max(float(digit.sum()), 1e-6)
    cy = (digit.sum(axis=1) * np.arange(height)).sum() / mass
    cx = (digit.sum(axis=0) * np.arange(width)).sum() / mass
    top = int(np.clip(round(SIDE / 2 - 0.5 - cy), 0, SIDE - height))
    left = int(np.clip(round(SIDE / 2 - 0.5 - cx), 0, SIDE - width))
    canvas[top : top + height, left : left + width] = digit
    return canvas
