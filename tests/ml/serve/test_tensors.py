"""Open Inference Protocol bodies: malformed requests get a 400 naming the problem (and the server
stays ready), and the binary tensor data extension round-trips every datatype."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from ml.serve.errors import BadRequest
from ml.serve.tensors import InferRequest, Output, encode_response, parse_request
from tests.ml.serve import serving
from tests.ml.serve.serving import Served

ZEROS = [0.0] * 784


def image_input(**overrides: Any) -> dict[str, Any]:
    return {"name": "input", "shape": [1, 784], "datatype": "FP32", "data": ZEROS, **overrides}


MALFORMED: list[tuple[str, Any, str]] = [
    ("invalid json", b'{"inputs": [', "invalid JSON"),
    ("not an object", b"[1, 2]", "must be a JSON object with an 'inputs' list"),
    ("no inputs", {"inputs": []}, "'inputs' must be a non-empty list of tensors"),
    ("input without name", {"inputs": [image_input(name="")]}, "inputs[0] has no name"),
    (
        "unknown datatype",
        {"inputs": [image_input(datatype="FLOAT")]},
        "input 'input': unknown datatype 'FLOAT'",
    ),
    (
        "bad shape",
        {"inputs": [image_input(shape=[1, -784])]},
        "shape must be a list of non-negative integers",
    ),
    (
        "no data",
        {"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32"}]},
        "input 'input' has no data",
    ),
    (
        "data too short",
        {"inputs": [image_input(data=[0.0] * 100)]},
        "input 'input': shape [1, 784] holds 784 values but the data has 100",
    ),
    (
        "ragged data",
        {"inputs": [image_input(shape=[2, 2], data=[[0.0, 1.0], [0.0]])]},
        "not a regular array of FP32",
    ),
    ("text in FP32", {"inputs": [image_input(data=["a"] * 784)]}, "not a regular array of FP32 values"),
    (
        "unknown output",
        {"inputs": [image_input()], "outputs": [{"name": "logits"}]},
        "unknown output(s) 'logits'; the outputs are 'probabilities', 'classes'",
    ),
]


class TestMalformedRequests:
    @pytest.mark.parametrize(("case", "body", "message"), MALFORMED, ids=[case for case, _, _ in MALFORMED])
    def test_answered_400_naming_the_problem(
        self, digits_server: Served, case: str, body: Any, message: str
    ) -> None:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        with digits_server.client() as client:
            response = client.post(digits_server.infer_path, content=content)
            assert response.status_code == 400 and message in response.json()["error"], response.text
            assert client.get("/v2/health/ready").status_code == 200

    def test_binary_sizes_that_do_not_add_up(self, digits_server: Served) -> None:
        body, headers = serving.binary_request([("input", np.zeros((1, 784), dtype=np.float32), "FP32")])
        with digits_server.client() as client:
            short = client.post(digits_server.infer_path, content=body[:-8], headers=headers)
            extra = client.post(digits_server.infer_path, content=body + b"\0" * 8, headers=headers)
            header = client.post(
                digits_server.infer_path, content=body, headers={"Inference-Header-Content-Length": "x"}
            )
        assert short.status_code == 400 and "runs past the end of the body" in short.json()["error"]
        assert (
            extra.status_code == 400
            and "declare 3136 bytes of binary data but the body holds 3144" in extra.json()["error"]
        )
        assert (
            header.status_code == 400
            and "inference-header-content-length must be a whole number" in header.json()["error"]
        )

    def test_gzip_bodies_are_read(self, digits_server: Served) -> None:
        import gzip

        body = gzip.compress(json.dumps({"inputs": [image_input()]}).encode())
        with digits_server.client() as client:
            response = client.post(
                digits_server.infer_path, content=body, headers={"Content-Encoding": "gzip"}
            )
            unknown = client.post(digits_server.infer_path, content=body, headers={"Content-Encoding": "br"})
        assert response.status_code == 200
        assert unknown.status_code == 400 and "unsupported Content-Encoding 'br'" in unknown.json()["error"]


class TestBinaryExtension:
    @pytest.mark.parametrize(
        ("datatype", "values"),
        [
            ("FP32", np.arange(6, dtype=np.float32).reshape(2, 3) / 7),
            ("FP64", np.linspace(0, 1, 6).reshape(3, 2)),
            ("INT64", np.array([[1, -2, 3]], dtype=np.int64)),
            ("UINT8", np.array([0, 255], dtype=np.uint8)),
            ("BOOL", np.array([True, False, True])),
            ("BYTES", np.array(["a", "bé", ""], dtype=object)),
        ],
    )
    def test_inputs_and_outputs_round_trip(self, datatype: str, values: np.ndarray) -> None:
        body, headers = serving.binary_request([("x", values, datatype)], id="r")
        request = parse_request(body, int(headers["Inference-Header-Content-Length"]))
        (tensor,) = request.inputs
        assert tensor.datatype == datatype and tensor.shape == list(values.shape)
        assert tensor.array.tolist() == values.tolist()
        request.binary.add("x")
        content, length = encode_response("m", "1", request, [Output("x", datatype, tensor.array)])
        assert length is not None
        header = json.loads(content[:length])
        assert (
            header["id"] == "r"
            and header["outputs"][0]["parameters"]["binary_data_size"] == len(content) - length
        )
        echoed = json.dumps({"inputs": header["outputs"]}).encode()
        again = parse_request(echoed + content[length:], len(echoed))
        assert again.inputs[0].array.tolist() == values.tolist()

    def test_json_output_unless_binary_is_asked(self) -> None:
        request = InferRequest(None, [])
        content, length = encode_response(
            "m", None, request, [Output("p", "FP32", np.array([[0.25, 0.75]], np.float32))]
        )
        assert length is None
        assert json.loads(content) == {
            "model_name": "m", "outputs": [{"name": "p", "datatype": "FP32", "shape": [1, 2], "data": [0.25, 0.75]}]
        }  # fmt: skip

    def test_truncated_bytes_element(self) -> None:
        header = json.dumps(
            {
                "inputs": [
                    {"name": "s", "shape": [1], "datatype": "BYTES", "parameters": {"binary_data_size": 6}}
                ]
            }
        ).encode()
        with pytest.raises(BadRequest, match="input 's': truncated BYTES element"):
            parse_request(header + b"\x09\0\0\0ab", len(header))
