"""The trainer entry point: ``python -m ml.train --job JOB.json`` (or ``--job-json '<json>'``).

Standard output carries only JSON event lines (see ``ml.events``); anything else that would print
there, from Python or native code, is redirected to standard error, which carries human-readable
log lines. Exit codes: 0 succeeded; 2 invalid job or unusable data (``invalid_parameters``,
``data_error``); 1 any other failure (``internal_error``); 128+signal when stopped by SIGTERM or
SIGINT (``cancelled``). Artifacts are built in a temporary directory and published to the job's
``artifact_uri`` only after training succeeded.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from ml import catalog
from ml.artifacts import publish, write_json, write_manifest
from ml.data.spec import DataError
from ml.events import Reporter
from ml.job import JobError, TrainingJob, TrainingResult

log = logging.getLogger("ml.train")


class Cancelled(BaseException):
    """Raised in the main thread when SIGTERM or SIGINT arrives."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def main(argv: list[str] | None = None) -> int:
    """Run one job; returns the process exit code."""
    args = _arguments(argv)
    reporter = Reporter(_claim_stdout())
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _raise_cancelled)
    try:
        job = TrainingJob.parse(_read_job(args))
        return run(job, reporter)
    except JobError as error:
        log.error("invalid job: %s", error)
        reporter.failed("invalid_parameters", str(error))
        return 2
    except DataError as error:
        log.error("unusable data: %s", error)
        reporter.failed("data_error", str(error))
        return 2
    except Cancelled as stop:
        log.warning("stopped by %s", stop)
        reporter.failed("cancelled", f"stopped by {stop}")
        return 128 + stop.signum
    except Exception as error:
        log.exception("training failed")
        reporter.failed("internal_error", f"{type(error).__name__}: {error}")
        return 1


def run(job: TrainingJob, reporter: Reporter) -> int:
    """Train ``job``, publish its artifacts and report success; errors propagate to ``main``."""
    began = time.perf_counter()
    model = catalog.get(job.model_type)
    runtime = _runtime(model.framework, job.threads)
    reporter.started(
        epochs=job.epochs,
        job_id=job.job_id,
        model_type=job.model_type,
        seed=job.seed,
        pid=os.getpid(),
        **runtime,
    )
    log.info(
        "job %s: training %s for %d epoch(s) on %s", job.job_id, job.model_type, job.epochs, runtime["device"]
    )
    with tempfile.TemporaryDirectory(prefix="mlops-train-") as tmp, _thread_limit(job.threads):
        outdir = Path(tmp)
        result: TrainingResult = model.resolve("trainer")(job, reporter, outdir)
        _write_records(outdir, job, model, result)
        files = publish(outdir, job.artifact_uri)
    log.info("job %s: artifacts published to %s (%s)", job.job_id, job.artifact_uri, ", ".join(files))
    fields: dict[str, Any] = {"metrics": result.metrics, "artifact_uri": job.artifact_uri, "files": files}
    if job.min_metric is not None:
        value = result.metrics.get(model.primary_metric)
        passed = value is not None and value >= job.min_metric
        fields["quality_gate"] = {
            "metric": model.primary_metric,
            "value": value,
            "min": job.min_metric,
            "passed": passed,
        }
    reporter.succeeded(seconds=round(time.perf_counter() - began, 3), **fields)
    return 0


def _write_records(outdir: Path, job: TrainingJob, model: catalog.ModelType, result: TrainingResult) -> None:
    write_json(outdir / "metrics.json", {
        "primary_metric": model.primary_metric, "final": result.metrics, "history": result.history,
    })  # fmt: skip
    write_json(outdir / "dataset.json", result.dataset)
    write_manifest(
        outdir, model_type=job.model_type, job_id=job.job_id, epochs=job.epochs, batch_size=job.batch_size,
        params=job.params, seed=job.seed, data=job.data.describe(),
    )  # fmt: skip


def _runtime(framework: str, threads: int | None) -> dict[str, Any]:
    """Device and thread count; for PyTorch this sets the thread count and determinism settings."""
    if framework != "pytorch":
        return {"device": "cpu", "threads": threads or os.cpu_count()}
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS
    import torch

    if threads:
        torch.set_num_threads(threads)
    return {"device": "cuda" if torch.cuda.is_available() else "cpu", "threads": torch.get_num_threads()}


def _thread_limit(threads: int | None) -> Any:
    from contextlib import nullcontext

    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads) if threads else nullcontext()


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ml.train", description="Train one model; JSON events on stdout."
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--job", type=Path, help="path of the job spec (JSON)")
    source.add_argument("--job-json", help="the job spec itself (JSON)")
    return parser.parse_args(argv)


def _read_job(args: argparse.Namespace) -> Any:
    try:
        text = args.job_json if args.job_json is not None else args.job.read_text()
        return json.loads(text)
    except OSError as error:
        raise JobError([catalog.FieldError("", f"cannot read the job file ({error.strerror})")]) from None
    except json.JSONDecodeError as error:
        raise JobError([catalog.FieldError("", f"the job is not valid JSON ({error})")]) from None


def _claim_stdout() -> TextIO:
    """Keep the real stdout for events and point file descriptor 1 (and ``sys.stdout``) at stderr."""
    sys.stdout.flush()
    events = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return events


def _raise_cancelled(signum: int, _frame: FrameType | None) -> None:
    for other in (signal.SIGTERM, signal.SIGINT):  # a second signal stops at once
        signal.signal(other, signal.SIG_DFL)
    raise Cancelled(signum)


if __name__ == "__main__":
    sys.exit(main())
