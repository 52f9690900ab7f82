"""Open Inference Protocol (KServe V2 REST) infer requests and responses as numpy arrays.

JSON tensors carry ``data`` flat in row-major order or nested. The binary tensor data extension
(the JSON header's length in ``Inference-Header-Content-Length``, raw little-endian tensor bytes
after it, ``parameters.binary_data_size`` on each binary tensor; BYTES elements as a 4-byte length
and the bytes) is read and written as well, since tritonclient uses it by default.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from ml.serve.errors import BadRequest

NUMPY_TYPES: dict[str, Any] = {
    "BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64,
    "INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64, "FP16": np.float16,
    "FP32": np.float32, "FP64": np.float64, "BYTES": np.object_,
}  # fmt: skip
NUMERIC = frozenset(NUMPY_TYPES) - {"BOOL", "BYTES"}
_JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY
_SCALARS = (str, bytes, int, float)  # numbers are accepted in BYTES data, for tables of mixed columns


@dataclass(slots=True)
class Tensor:
    """One input tensor, its array already in the declared shape."""

    name: str
    datatype: str
    array: np.ndarray

    @property
    def shape(self) -> list[int]:
        return list(self.array.shape)


@dataclass(slots=True)
class InferRequest:
    """A decoded infer request. ``outputs`` is None when the request names none (all are sent);
    ``binary`` holds the outputs to send as binary data (``"*"`` for all unnamed ones)."""

    id: str | None
    inputs: list[Tensor]
    outputs: list[str] | None = None
    binary: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Output:
    """One output tensor of a response."""

    name: str
    datatype: str
    array: np.ndarray


def parse_request(body: bytes, header_length: int | None = None) -> InferRequest:
    """Decode an infer request body; raises ``BadRequest`` naming what is wrong."""
    if header_length is not None and not 0 < header_length <= len(body):
        raise BadRequest(
            f"Inference-Header-Content-Length {header_length} does not fit a body of {len(body)} bytes"
        )
    document = _json(body if header_length is None else body[:header_length])
    if not isinstance(document, dict):
        raise BadRequest("the request must be a JSON object with an 'inputs' list")
    items = document.get("inputs")
    if not isinstance(items, list) or not items:
        raise BadRequest("'inputs' must be a non-empty list of tensors")
    binary = memoryview(body)[header_length:] if header_length is not None else memoryview(b"")
    inputs, offset = [], 0
    for index, item in enumerate(items):
        tensor, offset = _tensor(item, index, binary, offset)
        inputs.append(tensor)
    if offset != len(binary):
        raise BadRequest(f"the inputs declare {offset} bytes of binary data but the body holds {len(binary)}")
    request_id = document.get("id")
    request = InferRequest(None if request_id is None else str(request_id), inputs)
    _requested_outputs(document, request)
    return request


def _json(raw: bytes | memoryview) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise BadRequest(f"invalid JSON: {error}") from None


def _tensor(item: Any, index: int, binary: memoryview, offset: int) -> tuple[Tensor, int]:
    if not isinstance(item, dict):
        raise BadRequest(f"inputs[{index}] must be an object with name, shape, datatype and data")
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise BadRequest(f"inputs[{index}] has no name")
    datatype, shape = item.get("datatype"), item.get("shape")
    if datatype not in NUMPY_TYPES:
        raise BadRequest(
            f"input '{name}': unknown datatype {datatype!r}; use one of {', '.join(NUMPY_TYPES)}"
        )
    if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
        raise BadRequest(f"input '{name}': shape must be a list of non-negative integers, got {shape!r}")
    size = math.prod(shape)
    parameters = item.get("parameters") or {}
    binary_size = parameters.get("binary_data_size") if isinstance(parameters, dict) else None
    if binary_size is not None:
        if type(binary_size) is not int or binary_size < 0 or offset + binary_size > len(binary):
            raise BadRequest(
                f"input '{name}': binary_data_size {binary_size!r} runs past the end of the body"
            )
        array = _from_binary(name, datatype, binary[offset : offset + binary_size])
        offset += binary_size
    elif "data" in item:
        array = _from_json(name, datatype, item["data"])
    else:
        raise BadRequest(f"input '{name}' has no data")
    if array.size != size:
        raise BadRequest(f"input '{name}': shape {shape} holds {size} values but the data has {array.size}")
    return Tensor(name, datatype, array.reshape(shape)), offset


def _from_json(name: str, datatype: str, data: Any) -> np.ndarray:
    if not isinstance(data, list):
        data = [data]
    try:
        array = np.array(data, dtype=NUMPY_TYPES[datatype])
    except (ValueError, TypeError, OverflowError):
        raise BadRequest(f"input '{name}': the data is not a regular array of {datatype} values") from None
    if datatype == "BYTES" and not all(v is None or isinstance(v, _SCALARS) for v in array.flat):
        raise BadRequest(f"input '{name}': BYTES data must be strings (numbers, or null for a missing value)")
    return array


def _from_binary(name: str, datatype: str, chunk: memoryview) -> np.ndarray:
    if datatype == "BYTES":
        return _bytes_elements(name, chunk)
    dtype = np.dtype(NUMPY_TYPES[datatype]).newbyteorder("<")
    if len(chunk) % dtype.itemsize:
        raise BadRequest(f"input '{name}': {len(chunk)} bytes is not a whole number of {datatype} values")
    return np.frombuffer(chunk, dtype=dtype).astype(dtype.newbyteorder("="))


def _bytes_elements(name: str, chunk: memoryview) -> np.ndarray:
    values, offset = [], 0
    while offset < len(chunk):
        if offset + 4 > len(chunk):
            raise BadRequest(f"input '{name}': truncated BYTES element")
        (length,) = struct.unpack_from("<I", chunk, offset)
        offset += 4
        if offset + length > len(chunk):
            raise BadRequest(f"input '{name}': truncated BYTES element")
        values.append(bytes(chunk[offset : offset + length]).decode("utf-8", errors="replace"))
        offset += length
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _requested_outputs(document: dict[str, Any], request: InferRequest) -> None:
    parameters = document.get("parameters")
    if isinstance(parameters, dict) and parameters.get("binary_data_output") is True:
        request.binary.add("*")
    outputs = document.get("outputs")
    if outputs is None:
        return
    if not isinstance(outputs, list) or not all(
        isinstance(o, dict) and isinstance(o.get("name"), str) for o in outputs
    ):
        raise BadRequest("'outputs' must be a list of objects with a name")
    request.outputs = [o["name"] for o in outputs]
    for output in outputs:
        wanted = (output.get("parameters") or {}).get("binary_data")
        if wanted is True or (wanted is None and "*" in request.binary):
            request.binary.add(output["name"])


def encode_response(
    model_name: str, model_version: str | None, request: InferRequest, outputs: list[Output]
) -> tuple[bytes, int | None]:
    """The response body and, when it carries binary data, the length of its JSON header."""
    tensors, chunks = [], []
    for output in outputs:
        entry: dict[str, Any] = {
            "name": output.name,
            "datatype": output.datatype,
            "shape": list(output.array.shape),
        }
        if output.name in request.binary or (request.outputs is None and "*" in request.binary):
            chunk = _to_binary(output)
            entry["parameters"] = {"binary_data_size": len(chunk)}
            chunks.append(chunk)
        else:
            flat = output.array.ravel()
            entry["data"] = flat.tolist() if flat.dtype == object else flat
        tensors.append(entry)
    document: dict[str, Any] = {"model_name": model_name, "outputs": tensors}
    if model_version is not None:
        document["model_version"] = model_version
    if request.id is not None:
        document["id"] = request.id
    header = orjson.dumps(document, option=_JSON_OPTIONS)
    if not chunks:
        return header, None
    return b"".join([header, *chunks]), len(header)


def _to_binary(output: Output) -> bytes:
    if output.datatype == "BYTES":
        encoded = [str(v).encode() for v in output.array.ravel().tolist()]
        return b"".join(struct.pack("<I", len(v)) + v for v in encoded)
    dtype = np.dtype(NUMPY_TYPES[output.datatype]).newbyteorder("<")
    return np.ascontiguousarray(output.array, dtype=dtype).tobytes()
