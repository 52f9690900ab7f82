"""What each model type accepts: every bad input gets the right 4xx with a message naming the
problem, and the server stays ready and keeps answering correctly afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest

from tests.ml.serve.serving import Served, output, tensor


@pytest.fixture
def digits_client(digits_server: Served) -> Iterator[httpx.Client]:
    with digits_server.client() as client:
        yield client
        assert client.get("/v2/health/ready").status_code == 200
        good = digits_server.infer(client, [tensor("input", np.zeros((2, 784)))])
        assert good.status_code == 200 and output(good, "classes").shape == (2,)


@pytest.fixture
def table_client(table_server: Served) -> Iterator[httpx.Client]:
    with table_server.client() as client:
        yield client
        assert client.get("/v2/health/ready").status_code == 200


def columns(rows: Any, **replace: dict[str, Any]) -> list[dict[str, Any]]:
    features, _ = rows
    inputs = [tensor(name, features[name].to_numpy()[:3], "FP64") for name in features.columns]
    return [replace.get(entry["name"], entry) for entry in inputs]


IMAGE_CASES: list[tuple[str, list[dict[str, Any]], str]] = [
    ("wrong shape", [tensor("input", np.zeros((2, 100)))],
     "input 'input': expected shape [N, 1, 28, 28], [N, 28, 28] or [N, 784], got [2, 100]"),
    ("wrong channel count", [tensor("input", np.zeros((1, 3, 28, 28)))], "got [1, 3, 28, 28]"),
    ("text datatype", [{"name": "input", "shape": [1], "datatype": "BYTES", "data": ["x"]}],
     "input 'input': datatype BYTES is not accepted; send FP32 pixel values in [0, 1]"),
    ("pixels above 1", [tensor("input", np.full((1, 784), 255.0))],
     "input 'input': pixel values must lie in [0, 1], got values from 255.0 to 255.0"),
    ("negative pixels", [tensor("input", np.full((1, 784), -0.5))], "pixel values must lie in [0, 1]"),
    ("empty batch", [tensor("input", np.zeros((0, 784)))], "input 'input': the batch is empty"),
    ("two tensors", [tensor("a", np.zeros((1, 784))), tensor("b", np.zeros((1, 784)))],
     "this model takes one input tensor of images, got 2: 'a', 'b'"),
]  # fmt: skip


class TestImageInputs:
    @pytest.mark.parametrize(("case", "inputs", "message"), IMAGE_CASES, ids=[c for c, _, _ in IMAGE_CASES])
    def test_bad_tensors(
        self, digits_server: Served, digits_client: httpx.Client, case: str, inputs: Any, message: str
    ) -> None:
        response = digits_server.infer(digits_client, inputs)
        assert response.status_code == 400 and message in response.json()["error"], response.text

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({"picture": [0] * 784}, 'expected {"image": …} or {"images": [...]}'),
            ({"images": []}, 'expected {"image": …} or {"images": [...]}'),
            ({"image": [0] * 100}, "image: expected 28x28 or 784 pixel values, got shape [100]"),
            ({"images": [[0] * 784, [300] * 784]}, "images[1]: pixel values must lie in [0, 1] (or 0-255)"),
            ({"image": "not base64!"}, "image: a string must be a base64-encoded PNG"),
            ({"image": "aGVsbG8="}, "image: not a PNG file"),
        ],
    )
    def test_bad_predict_bodies(self, digits_client: httpx.Client, body: Any, message: str) -> None:
        response = digits_client.post("/predict", json=body)
        assert response.status_code == 400 and message in response.json()["error"], response.text

    def test_a_png_body_that_is_not_a_png(self, digits_client: httpx.Client) -> None:
        truncated = b"\x89PNG\r\n\x1a\n" + b"\0" * 20
        for content, message in ((b"GIF89a", "image: not a PNG file"), (truncated, "image: unreadable PNG")):
            response = digits_client.post("/predict", content=content, headers={"Content-Type": "image/png"})
            assert response.status_code == 400 and message in response.json()["error"]

    def test_pixels_0_to_255_are_scaled_on_predict(self, digits_client: httpx.Client) -> None:
        response = digits_client.post("/predict", json={"image": [[0] * 28] * 14 + [[255] * 28] * 14})
        assert response.status_code == 200 and len(response.json()["predictions"]) == 1


class TestTableInputs:
    def test_missing_feature_tensor(
        self, table_server: Served, table_client: httpx.Client, table_rows: Any
    ) -> None:
        inputs = [
            entry for entry in columns(table_rows) if entry["name"] not in ("mean radius", "worst area")
        ]
        response = table_server.infer(table_client, inputs)
        assert response.status_code == 400
        assert response.json()["error"] == "missing input tensor(s): 'mean radius', 'worst area'"

    def test_unknown_tensor(self, table_server: Served, table_client: httpx.Client, table_rows: Any) -> None:
        response = table_server.infer(
            table_client, [*columns(table_rows), tensor("colour", [1.0, 2.0, 3.0], "FP64")]
        )
        assert response.status_code == 400 and "unknown input tensor(s): 'colour'" in response.json()["error"]

    def test_text_in_a_numeric_column(
        self, table_server: Served, table_client: httpx.Client, table_rows: Any
    ) -> None:
        text = {"name": "mean radius", "shape": [3], "datatype": "BYTES", "data": ["a", "b", "c"]}
        response = table_server.infer(table_client, columns(table_rows, **{"mean radius": text}))
        assert response.status_code == 400
        assert (
            response.json()["error"]
            == "input 'mean radius': datatype BYTES does not fit the column; send FP64"
        )

    def test_columns_of_different_lengths(
        self, table_server: Served, table_client: httpx.Client, table_rows: Any
    ) -> None:
        longer = tensor("mean radius", [1.0, 2.0, 3.0, 4.0], "FP64")
        response = table_server.infer(table_client, columns(table_rows, **{"mean radius": longer}))
        assert response.status_code == 400 and "different lengths: [3, 4]" in response.json()["error"]

    def test_matrix_of_the_wrong_width(self, table_server: Served, table_client: httpx.Client) -> None:
        response = table_server.infer(table_client, [tensor("features", np.zeros((2, 29)), "FP64")])
        assert response.status_code == 400
        assert (
            "input 'features': expected shape [N, 30] (the feature columns in order)"
            in response.json()["error"]
        )
        assert "got [2, 29]" in response.json()["error"]

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({"rows": [{"mean radius": 1.0}]}, "rows[0]: missing feature column(s): 'mean texture'"),
            ({"row": {}}, 'expected {"features": {column: value}} or {"rows": [{column: value}, ...]}'),
        ],
    )
    def test_bad_predict_bodies(self, table_client: httpx.Client, body: Any, message: str) -> None:
        response = table_client.post("/predict", json=body)
        assert response.status_code == 400 and message in response.json()["error"], response.text

    def test_text_where_a_number_belongs(self, table_client: httpx.Client, table_rows: Any) -> None:
        row = table_rows[0].iloc[0].to_dict() | {"mean area": "large"}
        response = table_client.post("/predict", json={"features": row})
        assert (
            response.status_code == 400
            and response.json()["error"] == "column 'mean area': values must be numbers"
        )

    def test_images_are_refused(self, table_client: httpx.Client) -> None:
        response = table_client.post("/predict", content=b"\x89PNG", headers={"Content-Type": "image/png"})
        assert (
            response.status_code == 400
            and response.json()["error"] == "this model predicts table rows, not images"
        )


class TestBodyLimit:
    def test_a_declared_length_over_the_limit_is_413(
        self, digits_server: Served, digits_client: httpx.Client
    ) -> None:
        response = digits_client.post(digits_server.infer_path, content=b"0" * (16 * 1024 * 1024 + 1))
        assert response.status_code == 413
        assert response.json()["error"] == "the request body is larger than the limit of 16777216 bytes"

    def test_a_chunked_body_over_the_limit_is_413(
        self, digits_server: Served, digits_client: httpx.Client
    ) -> None:
        def chunks() -> Iterator[bytes]:
            for _ in range(17):
                yield b"0" * (1024 * 1024)

        response = digits_client.post("/predict", content=chunks())
        assert response.status_code == 413
