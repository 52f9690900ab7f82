"""The server's HTTP API on real processes with real trained models: the Open Inference Protocol
(health, metadata, infer in JSON and binary), tritonclient, and ``POST /predict``."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from ml import predict
from tests.ml.factories import Mnist
from tests.ml.serve import serving
from tests.ml.serve.conftest import Artifacts
from tests.ml.serve.serving import Served, output, tensor


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.round(pixels * 255).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


class TestHealth:
    def test_live_ready_and_server_metadata(self, digits_server: Served) -> None:
        with digits_server.client() as client:
            assert client.get("/v2/health/live").json() == {"live": True}
            assert client.get("/v2/health/ready").json() == {"ready": True}
            server = client.get("/v2").json()
            assert server["name"] == "mlops-inference-server" and "binary_tensor_data" in server["extensions"]

    def test_model_ready_by_name_and_version(self, digits_server: Served) -> None:
        with digits_server.client() as client:
            assert client.get("/v2/models/digits/ready").status_code == 200
            assert client.get("/v2/models/digits/versions/3/ready").json() == {
                "name": "digits",
                "ready": True,
            }


class TestMetadata:
    def test_image_model(self, digits_server: Served) -> None:
        with digits_server.client() as client:
            metadata = client.get("/v2/models/digits").json()
            assert client.get("/v2/models/digits/versions/3").json() == metadata
        assert (
            metadata["name"] == "digits"
            and metadata["versions"] == ["3"]
            and metadata["platform"] == "pytorch"
        )
        assert metadata["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 1, 28, 28]}]
        assert metadata["outputs"] == [
            {"name": "probabilities", "datatype": "FP32", "shape": [-1, 10]},
            {"name": "classes", "datatype": "INT64", "shape": [-1]},
        ]

    def test_table_model_lists_every_feature_column(self, table_server: Served, artifacts: Artifacts) -> None:
        with table_server.client() as client:
            metadata = client.get("/v2/models/cancer").json()
        assert metadata["platform"] == "sklearn" and len(metadata["inputs"]) == 30
        assert metadata["inputs"][0] == {"name": "mean radius", "datatype": "FP64", "shape": [-1]}
        assert metadata["parameters"]["classes"] == [0, 1]

    @pytest.mark.parametrize(
        ("path", "message"),
        [
            ("/v2/models/nope", "unknown model 'nope'; this server serves 'digits'"),
            ("/v2/models/digits/versions/9", "model 'digits' has no version '9'; it has version '3'"),
            ("/v2/models/nope/infer", "unknown model 'nope'"),
            ("/v2/models/digits/versions/9/infer", "has no version '9'"),
            ("/v2/models/digits/explain", "no route"),
            ("/v3", "no route /v3"),
        ],
    )
    def test_unknown_model_version_or_route_is_404(
        self, digits_server: Served, path: str, message: str
    ) -> None:
        with digits_server.client() as client:
            response = client.post(path, json={}) if path.endswith("infer") else client.get(path)
        assert response.status_code == 404 and message in response.json()["error"]

    def test_wrong_method_is_405_with_allow(self, digits_server: Served) -> None:
        with digits_server.client() as client:
            infer = client.get("/v2/models/digits/infer")
            ready = client.post("/v2/health/ready")
        assert infer.status_code == 405 and infer.headers["allow"] == "POST"
        assert "method GET is not allowed" in infer.json()["error"]
        assert ready.status_code == 405 and ready.headers["allow"] == "GET"


class TestInferDigits:
    def test_real_test_images_are_classified(self, digits_server: Served, digits: Mnist) -> None:
        images, labels = digits.test[0][:400], digits.test[1][:400]
        with digits_server.client() as client:
            response = digits_server.infer(
                client, [tensor("input", images.reshape(-1, 1, 28, 28))], id="req-7"
            )
        body = response.json()
        assert response.status_code == 200
        assert body["id"] == "req-7" and body["model_name"] == "digits" and body["model_version"] == "3"
        assert [o["name"] for o in body["outputs"]] == ["probabilities", "classes"]
        classes, probabilities = output(response, "classes"), output(response, "probabilities")
        assert classes.shape == (400,) and probabilities.shape == (400, 10)
        assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)
        assert float(np.mean(classes == labels)) >= 0.9

    @pytest.mark.parametrize("shape", [(-1, 784), (-1, 28, 28), (-1, 1, 28, 28)])
    def test_every_image_layout_gives_the_same_answer(
        self, digits_server: Served, digits: Mnist, artifacts: Artifacts, shape: tuple[int, ...]
    ) -> None:
        images = digits.test[0][:20]
        expected = predict.load(str(artifacts.digits)).predict(images)["classes"]
        with digits_server.client() as client:
            flat = digits_server.infer(client, [tensor("pixels", images.reshape(shape))])
            nested = client.post(
                digits_server.infer_path,
                json={"inputs": [{"name": "x", "shape": list(images.reshape(shape).shape), "datatype": "FP32",
                                  "data": images.reshape(shape).tolist()}]},
            )  # fmt: skip
        assert output(flat, "classes").tolist() == expected == output(nested, "classes").tolist()

    def test_fp64_and_integer_pixels_are_accepted(self, digits_server: Served, digits: Mnist) -> None:
        image = digits.test[0][:1]
        with digits_server.client() as client:
            fp64 = digits_server.infer(client, [tensor("input", image.astype(np.float64), "FP64")])
            blank = digits_server.infer(
                client, [tensor("input", np.zeros((1, 784), dtype=np.int64), "INT64")]
            )
        assert fp64.status_code == 200 and blank.status_code == 200

    def test_requested_outputs_only(self, digits_server: Served, digits: Mnist) -> None:
        with digits_server.client() as client:
            response = digits_server.infer(
                client, [tensor("input", digits.test[0][:3])], outputs=[{"name": "classes"}]
            )
        assert [o["name"] for o in response.json()["outputs"]] == ["classes"]

    def test_binary_tensor_data_both_ways(self, digits_server: Served, digits: Mnist) -> None:
        images = digits.test[0][:50].reshape(-1, 1, 28, 28)
        body, headers = serving.binary_request(
            [("input", images, "FP32")], outputs=[{"name": "classes", "parameters": {"binary_data": True}}]
        )
        with digits_server.client() as client:
            response = client.post(digits_server.infer_path, content=body, headers=headers)
            reference = digits_server.infer(client, [tensor("input", images)])
        length = int(response.headers["inference-header-content-length"])
        header = json.loads(response.content[:length])
        assert header["outputs"][0]["parameters"]["binary_data_size"] == 50 * 8
        classes = np.frombuffer(response.content[length:], dtype="<i8")
        assert classes.tolist() == output(reference, "classes").tolist()


class TestInferTable:
    def test_one_tensor_per_feature_column(
        self, table_server: Served, table_rows: Any, artifacts: Artifacts
    ) -> None:
        features, labels = table_rows
        expected = predict.load(str(artifacts.table)).predict(features)["classes"]
        inputs = [tensor(name, features[name].to_numpy(), "FP64") for name in features.columns]
        with table_server.client() as client:
            response = table_server.infer(client, inputs)
        assert response.status_code == 200, response.text
        classes = output(response, "classes")
        assert classes.tolist() == expected and float(np.mean(classes == labels)) > 0.9
        assert output(response, "probabilities").shape == (len(labels), 2)

    def test_one_matrix_in_feature_column_order(self, table_server: Served, table_rows: Any) -> None:
        features, _ = table_rows
        with table_server.client() as client:
            columns = [tensor(name, features[name].to_numpy(), "FP64") for name in features.columns]
            by_column = table_server.infer(client, columns)
            matrix = table_server.infer(client, [tensor("features", features.to_numpy(), "FP64")])
            shuffled = features[list(reversed(features.columns))]
            by_column_shuffled = table_server.infer(
                client, [tensor(name, shuffled[name].to_numpy(), "FP64") for name in shuffled.columns]
            )
        assert matrix.status_code == 200, matrix.text
        assert output(matrix, "classes").tolist() == output(by_column, "classes").tolist()
        assert output(by_column_shuffled, "classes").tolist() == output(by_column, "classes").tolist()


class TestTritonClient:
    def test_same_classes_as_the_json_call(self, digits_server: Served, digits: Mnist) -> None:
        import tritonclient.http as triton

        images = digits.test[0][:64].reshape(-1, 1, 28, 28).astype(np.float32)
        client = triton.InferenceServerClient(url=f"{digits_server.host}:{digits_server.port}")
        try:
            assert client.is_server_live() and client.is_server_ready()
            assert client.is_model_ready("digits") and client.is_model_ready("digits", "3")
            assert client.get_model_metadata("digits")["inputs"][0]["name"] == "input"
            results = {}
            for binary in (True, False):
                entry = triton.InferInput("input", list(images.shape), "FP32")
                entry.set_data_from_numpy(images, binary_data=binary)
                wanted = [
                    triton.InferRequestedOutput(n, binary_data=binary) for n in ("probabilities", "classes")
                ]
                result = client.infer("digits", [entry], outputs=wanted, request_id="t1")
                results[binary] = result.as_numpy("classes").tolist()
                assert result.as_numpy("probabilities").shape == (64, 10)
                assert result.get_response()["id"] == "t1"
            default = client.infer(
                "digits", [triton.InferInput("input", list(images.shape), "FP32").set_data_from_numpy(images)]
            )
        finally:
            client.close()
        with digits_server.client() as http:
            expected = output(digits_server.infer(http, [tensor("input", images)]), "classes").tolist()
        assert results[True] == results[False] == default.as_numpy("classes").tolist() == expected

    def test_table_model_with_a_tensor_per_column(self, table_server: Served, table_rows: Any) -> None:
        import tritonclient.http as triton

        features, _ = table_rows
        client = triton.InferenceServerClient(url=f"{table_server.host}:{table_server.port}")
        try:
            inputs = []
            for name in features.columns:
                entry = triton.InferInput(name, [len(features)], "FP64")
                inputs.append(entry.set_data_from_numpy(features[name].to_numpy(dtype=np.float64)))
            classes = client.infer("cancer", inputs, model_version="1").as_numpy("classes").tolist()
        finally:
            client.close()
        with table_server.client() as http:
            expected = table_server.infer(http, [tensor("features", features.to_numpy(), "FP64")])
        assert classes == output(expected, "classes").tolist()


class TestPredict:
    def test_nested_list_and_flat_list(self, digits_server: Served, digits: Mnist) -> None:
        image, label = digits.test[0][0], int(digits.test[1][0])
        with digits_server.client() as client:
            nested = client.post("/predict", json={"image": image.reshape(28, 28).tolist()}).json()
            flat = client.post("/predict", json={"images": [image.tolist(), image.tolist()]}).json()
        assert nested["model_name"] == "digits" and nested["model_version"] == "3"
        (prediction,) = nested["predictions"]
        assert prediction["class"] == label
        assert set(prediction["probabilities"]) == {str(d) for d in range(10)}
        assert prediction["confidence"] == pytest.approx(max(prediction["probabilities"].values()))
        assert [p["class"] for p in flat["predictions"]] == [label, label]

    def test_png_body_and_base64_png(self, digits_server: Served, digits: Mnist) -> None:
        images, labels = digits.test[0][:20].reshape(-1, 28, 28), digits.test[1][:20]
        with digits_server.client() as client:
            raw = [
                client.post("/predict", content=png(image), headers={"Content-Type": "image/png"}).json()
                for image in images
            ]
            encoded = client.post(
                "/predict", json={"images": [base64.b64encode(png(image)).decode() for image in images]}
            ).json()
        raw_classes = [answer["predictions"][0]["class"] for answer in raw]
        assert raw_classes == [p["class"] for p in encoded["predictions"]]
        assert float(np.mean(np.asarray(raw_classes) == labels)) >= 0.85

    def test_a_large_black_on_white_png_is_framed_like_mnist(
        self, digits_server: Served, digits: Mnist
    ) -> None:
        """A 280x200 drawing, dark ink on white paper, off-centre: inverted, cropped, scaled, centred."""
        hits = 0
        images, labels = digits.test[0][:20].reshape(-1, 28, 28), digits.test[1][:20]
        with digits_server.client() as client:
            for image, label in zip(images, labels, strict=True):
                large = np.asarray(
                    Image.fromarray(np.uint8(image * 255)).resize((150, 150), Image.Resampling.BICUBIC)
                )
                paper = np.zeros((200, 280), dtype=np.float32)
                paper[30:180, 110:260] = large / 255.0
                body = png(1.0 - paper)
                answer = client.post("/predict", content=body, headers={"Content-Type": "image/png"}).json()
                hits += answer["predictions"][0]["class"] == label
        assert hits >= 16

    def test_table_rows_and_features(self, table_server: Served, table_rows: Any) -> None:
        features, _ = table_rows
        rows = features.head(5).to_dict(orient="records")
        with table_server.client() as client:
            many = client.post("/predict", json={"rows": rows}).json()
            one = client.post("/predict", json={"features": rows[0]}).json()
            expected = table_server.infer(client, [tensor("features", features.head(5).to_numpy(), "FP64")])
        assert [p["class"] for p in many["predictions"]] == output(expected, "classes").tolist()
        assert one["predictions"][0] == many["predictions"][0]
        assert set(one["predictions"][0]["probabilities"]) == {"0", "1"}


def mixed_rows(artifacts: Artifacts) -> pd.DataFrame:
    """The last 60 rows of the table with text columns, without the diagnosis."""
    return pd.read_csv(artifacts.mixed.parent / "mixed.csv").tail(60).drop(columns=["diagnosis"])


class TestTextColumns:
    """A table with text columns (one sometimes missing) and text classes."""

    def test_metadata_says_bytes(self, mixed_server: Served) -> None:
        with mixed_server.client() as client:
            metadata = client.get("/v2/models/clinics").json()
        assert {"name": "size", "datatype": "BYTES", "shape": [-1]} in metadata["inputs"]
        assert metadata["outputs"][1] == {"name": "classes", "datatype": "BYTES", "shape": [-1]}

    def test_json_columns_matrix_and_predict_agree_with_the_predictor(
        self, mixed_server: Served, artifacts: Artifacts
    ) -> None:
        rows = mixed_rows(artifacts)
        expected = predict.load(str(artifacts.mixed)).predict(rows)["classes"]
        text = {"size", "clinic"}
        columns = [
            {
                "name": name,
                "shape": [len(rows)],
                "datatype": "BYTES",
                "data": [None if pd.isna(v) else v for v in rows[name]],
            }
            if name in text
            else tensor(name, rows[name].to_numpy(), "FP64")
            for name in rows.columns
        ]
        matrix = rows.astype(object).where(rows.notna(), None).to_numpy()
        with mixed_server.client() as client:
            by_column = mixed_server.infer(client, columns)
            by_matrix = mixed_server.infer(
                client,
                [{"name": "rows", "shape": list(matrix.shape), "datatype": "BYTES", "data": matrix.tolist()}],
            )
            answer = client.post("/predict", json={"rows": json.loads(rows.to_json(orient="records"))}).json()
        assert output(by_column, "classes").tolist() == expected == output(by_matrix, "classes").tolist()
        assert [p["class"] for p in answer["predictions"]] == expected
        assert set(answer["predictions"][0]["probabilities"]) == {"benign", "malignant"}

    def test_tritonclient_sends_and_reads_bytes(self, mixed_server: Served, artifacts: Artifacts) -> None:
        import tritonclient.http as triton

        rows = mixed_rows(artifacts).fillna("")
        client = triton.InferenceServerClient(url=f"{mixed_server.host}:{mixed_server.port}")
        try:
            inputs = []
            for name in rows.columns:
                text = name in ("size", "clinic")
                entry = triton.InferInput(name, [len(rows)], "BYTES" if text else "FP64")
                values = rows[name].to_numpy(dtype=object if text else np.float64)
                inputs.append(entry.set_data_from_numpy(values))
            classes = client.infer("clinics", inputs).as_numpy("classes")
        finally:
            client.close()
        with mixed_server.client() as http:
            by_json = mixed_server.infer(
                http,
                [
                    serving.tensor(n, rows[n].to_numpy(), "BYTES" if n in ("size", "clinic") else "FP64")
                    for n in rows.columns
                ],
            )
        assert [c.decode() for c in classes] == output(by_json, "classes").tolist()

    def test_numbers_for_a_text_column_and_a_numeric_matrix(self, mixed_server: Served) -> None:
        with mixed_server.client() as client:
            wrong = mixed_server.infer(
                client,
                [
                    tensor(n, [1.0], "FP64")
                    for n in ("mean radius", "mean texture", "worst area", "worst smoothness")
                ]
                + [
                    tensor("size", [1.0], "FP64"),
                    {"name": "clinic", "shape": [1], "datatype": "BYTES", "data": ["north"]},
                ],
            )
            matrix = mixed_server.infer(client, [tensor("rows", np.zeros((1, 6)), "FP64")])
        assert (
            wrong.status_code == 400
            and wrong.json()["error"] == "input 'size': datatype FP64 does not fit the column; send BYTES"
        )
        assert (
            matrix.status_code == 400
            and "the model has text columns ('clinic', 'size'); send BYTES" in matrix.json()["error"]
        )
