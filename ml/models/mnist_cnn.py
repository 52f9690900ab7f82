"""``mnist_pytorch_cnn``: a small CNN for 28x28 digit images, trained with PyTorch.

Architecture: conv3x3(32) → ReLU → maxpool 2 → conv3x3(64) → ReLU → maxpool 2 → dropout → dense 128 →
ReLU → dropout → dense 10. Pooling after the first convolution as well makes an epoch about three
times cheaper than the classic conv32-conv64-maxpool net, for the same accuracy (0.98 after one
epoch). Training is seeded and deterministic (``torch.use_deterministic_algorithms``, a seeded
generator for the shuffling), on CUDA when available. The model is saved as TorchScript.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ml import catalog, drift
from ml.artifacts import read_json, write_json
from ml.data.images import ImageSplits, load_images
from ml.events import Reporter
from ml.job import TrainingJob, TrainingResult

log = logging.getLogger(__name__)
NAME = "mnist_pytorch_cnn"
EVAL_BATCH = 1000


class DigitNet(nn.Module):
    """The CNN; ``forward`` maps float images Nx1x28x28 in [0, 1] to 10 logits each."""

    def __init__(self, dropout: float = 0.25, dense_dropout: float = 0.5) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.dropout = nn.Dropout(dropout)
        self.fc1 = nn.Linear(64 * 5 * 5, 128)
        self.dense_dropout = nn.Dropout(dense_dropout)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(self.dropout(x), 1)
        x = self.dense_dropout(F.relu(self.fc1(x)))
        return self.fc2(x)


def train(job: TrainingJob, reporter: Reporter, outdir: Path) -> TrainingResult:
    """Train on the job's images, report each epoch, write model.pt, model.json, signature.json and
    reference.json into ``outdir``. Raises ``DataError`` for unusable data."""
    params = job.params
    splits = load_images(job.data, seed=job.seed, validation_fraction=params["validation_fraction"])
    reporter.data_loaded(splits.summary())
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(job.seed)
    torch.use_deterministic_algorithms(True)
    model = DigitNet(params["dropout"], params["dense_dropout"]).to(device)
    optimizer = _optimizer(model, params)
    steps = math.ceil(len(splits.train[1]) / job.batch_size)
    schedule = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps * job.epochs)
        if params["lr_schedule"] == "cosine"
        else None
    )
    loop = _Loop(model, optimizer, schedule, device, torch.Generator().manual_seed(job.seed))
    history: list[dict[str, Any]] = []
    for epoch in range(1, job.epochs + 1):
        started = time.perf_counter()
        loss, accuracy = loop.epoch(splits.train, job.batch_size, epoch, reporter)
        val_loss, val_accuracy, val_probabilities = _evaluate(model, splits.validation, device)
        metrics = {"loss": loss, "accuracy": accuracy, "val_loss": val_loss, "val_accuracy": val_accuracy}
        seconds = time.perf_counter() - started
        reporter.epoch(epoch, metrics, seconds)
        history.append({"epoch": epoch, "metrics": metrics, "seconds": round(seconds, 3)})
        log.info("epoch %d/%d: %s (%.1f s)", epoch, job.epochs, _fmt(metrics), seconds)
    test_loss, test_accuracy, _ = _evaluate(model, splits.test, device)
    final = {**history[-1]["metrics"], "test_loss": test_loss, "test_accuracy": test_accuracy}
    log.info("test: loss %.4f, accuracy %.4f", test_loss, test_accuracy)
    _save(model, outdir, job, splits, val_probabilities)
    return TrainingResult(metrics=final, history=history, dataset=splits.summary())


def _optimizer(model: nn.Module, params: dict[str, Any]) -> torch.optim.Optimizer:
    if params["optimizer"] == "sgd":
        return torch.optim.SGD(
            model.parameters(), lr=params["learning_rate"], momentum=params["momentum"],
            weight_decay=params["weight_decay"],
        )  # fmt: skip
    return torch.optim.Adam(
        model.parameters(), lr=params["learning_rate"], weight_decay=params["weight_decay"]
    )


class _Loop:
    """One model's training passes: seeded shuffling, optional per-step schedule, progress events."""

    def __init__(self, model: nn.Module, optimizer: Any, schedule: Any, device: Any, generator: Any) -> None:
        self.model, self.optimizer, self.schedule = model, optimizer, schedule
        self.device, self.generator = device, generator

    def epoch(
        self, split: tuple[np.ndarray, np.ndarray], batch: int, epoch: int, reporter: Reporter
    ) -> tuple[float, float]:
        """Train one pass; returns the mean batch loss and the share of correct training predictions."""
        images, labels = torch.from_numpy(split[0]), torch.from_numpy(split[1])
        order = torch.randperm(len(labels), generator=self.generator)
        steps = math.ceil(len(labels) / batch)
        total_loss, correct = 0.0, 0
        self.model.train()
        for step in range(1, steps + 1):
            index = order[(step - 1) * batch : step * batch]
            x, y = images[index].to(self.device), labels[index].to(self.device)
            self.optimizer.zero_grad(set_to_none=True)
            logits = self.model(x)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            self.optimizer.step()
            if self.schedule is not None:
                self.schedule.step()
            total_loss += loss.item() * len(index)
            correct += int((logits.argmax(1) == y).sum())
            seen = min(step * batch, len(labels))
            reporter.progress(epoch, step, steps, total_loss / seen)
        return total_loss / len(labels), correct / len(labels)


@torch.inference_mode()
def _evaluate(
    model: nn.Module, split: tuple[np.ndarray, np.ndarray], device: Any
) -> tuple[float, float, np.ndarray]:
    """Mean cross-entropy, accuracy and the softmax probabilities on one split (in eval mode)."""
    model.eval()
    images, labels = torch.from_numpy(split[0]), torch.from_numpy(split[1])
    total, chunks = 0.0, []
    for start in range(0, len(labels), EVAL_BATCH):
        logits = model(images[start : start + EVAL_BATCH].to(device))
        y = labels[start : start + EVAL_BATCH].to(device)
        total += float(F.cross_entropy(logits, y, reduction="sum"))
        chunks.append(F.softmax(logits, dim=1).cpu())
    probabilities = torch.cat(chunks).numpy()
    accuracy = float((probabilities.argmax(1) == split[1]).mean())
    return total / len(labels), accuracy, probabilities


def _save(
    model: DigitNet, outdir: Path, job: TrainingJob, splits: ImageSplits, probabilities: np.ndarray
) -> None:
    model = model.cpu().eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript is what serving runtimes load
        torch.jit.script(model).save(str(outdir / "model.pt"))
    write_json(outdir / "model.json", {
        "model_type": NAME,
        "architecture": "conv32-maxpool-conv64-maxpool-dense128",
        "input": {"shape": [1, 28, 28], "dtype": "float32", "range": [0.0, 1.0]},
        "classes": list(range(10)),
        "params": job.params,
    })  # fmt: skip
    write_json(outdir / "signature.json", {**catalog.get(NAME).input_signature, "classes": list(range(10))})
    train_features = drift.image_features(splits.train[0])
    val_features = drift.image_features(splits.validation[0])
    write_json(outdir / "reference.json", {
        "kind": "image",
        "feature_function": "ml.drift:image_features",
        "features": {name: drift.histogram(train_features[name], val_features[name]) for name in drift.IMAGE_FEATURES},
        "confidence": drift.confidence_reference(probabilities),
    })  # fmt: skip


def _fmt(metrics: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.4f}" for name, value in metrics.items())


class DigitPredictor:
    """Predictions of a trained digit CNN; batches are Nx784, Nx28x28 or Nx1x28x28 floats in [0, 1]."""

    model_type = NAME

    def __init__(self, module: Any, signature: dict[str, Any], reference: dict[str, Any]) -> None:
        self.module = module
        self.signature = signature
        self.reference = reference

    def predict(self, batch: Any) -> dict[str, list[Any]]:
        """Classes (ints 0-9) and the 10 class probabilities of each image."""
        images = torch.from_numpy(_as_images(batch))
        with torch.inference_mode():
            probabilities = F.softmax(self.module(images), dim=1).numpy()
        return {"classes": probabilities.argmax(1).tolist(), "probabilities": probabilities.tolist()}

    def drift_features(self, batch: Any) -> dict[str, np.ndarray]:
        """The per-image drift features (see ``ml.drift.image_features``) of a batch."""
        return drift.image_features(_as_images(batch))


def _as_images(batch: Any) -> np.ndarray:
    array = np.asarray(batch, dtype=np.float32)
    if (array.ndim == 2 and array.shape[1] == 784) or (array.ndim == 3 and array.shape[1:] == (28, 28)):
        array = array.reshape(-1, 1, 28, 28)
    if array.ndim != 4 or array.shape[1:] != (1, 28, 28):
        raise ValueError(
            f"expected images of 28x28 pixels (Nx784, Nx28x28 or Nx1x28x28), got shape {array.shape}"
        )
    if array.size and (float(array.min()) < 0 or float(array.max()) > 1):
        raise ValueError("pixel values must lie in [0, 1]")
    return array


def load_predictor(directory: Path) -> DigitPredictor:
    """Load the TorchScript model and its signature and reference from an artifact directory.

    The module is optimized for inference (frozen, convolutions in oneDNN layout): the same
    outputs, 2-3x faster for batches of 2 and more on a CPU."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        module = torch.jit.load(str(directory / "model.pt"), map_location="cpu")
        module.eval()
        try:
            module = torch.jit.optimize_for_inference(module)
        except Exception as error:  # an older torch or an unusual build: serve it as it is
            warnings.warn(f"serving the model unoptimized: {error}", stacklevel=1)
    return DigitPredictor(
        module, read_json(directory / "signature.json"), read_json(directory / "reference.json")
    )
