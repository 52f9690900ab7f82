"""The servers of ``bench/serving.py``: this repo's ``python -m ml.serve`` and MLServer, each a process
(group) of its own on free ports, started, waited for, measured (CPU of the process and its
children, with psutil) and stopped, leaving nothing behind.

MLServer lives in ``.bench-venvs/mlserver`` (created here when missing: ``python3 -m venv`` and
``pip install mlserver==1.7.1 mlserver-sklearn==1.7.1 httptools``). It loads the very ``model.joblib`` the
trainer wrote. That pickle refers to two small functions of ``ml.models.tabular`` (the
``FunctionTransformer`` steps); importing the platform's ``ml`` package would need its dependencies
in MLServer's venv, so a stub package holding just those two functions, copied from the source at
run time, is put on MLServer's ``PYTHONPATH``.
"""

from __future__ import annotations

import abc
import inspect
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import IO, Any

import httpx
import psutil
from _common import free_port

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
MLSERVER_VENV = ROOT / ".bench-venvs" / "mlserver"
MLSERVER_BIN = MLSERVER_VENV / "bin" / "mlserver"
# httptools: uvicorn's C parser, which uvicorn picks when installed (ours parses with it too); plain
# ``pip install mlserver`` leaves uvicorn on h11. It changed nothing measurable here (the model dominates).
MLSERVER_PACKAGES = ("mlserver==1.7.1", "mlserver-sklearn==1.7.1", "httptools")


class Server(abc.ABC):
    """A server process started in a session of its own; ``stop`` ends the whole group."""

    label = "server"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self.startup_s = float("nan")
        self.command: list[str] = []
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _spawn(self, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.command = command
        self._log = (self.workdir / "server.log").open("wb")
        self.proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def _wait(self, ready: str, started: float, timeout: float) -> None:
        """Poll ``GET ready`` until it answers 200 (the process must stay alive meanwhile)."""
        with httpx.Client(timeout=2.0) as client:
            while True:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.label} exited ({self.proc.returncode}):\n{self.log_tail()}")
                if self.port:
                    try:
                        if client.get(f"{self.url}{ready}").status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                if time.perf_counter() - started > timeout:
                    raise RuntimeError(f"{self.label} not ready after {timeout:.0f}s:\n{self.log_tail()}")
                time.sleep(0.1)
        self.startup_s = time.perf_counter() - started

    def processes(self) -> list[psutil.Process]:
        if self.proc is None:
            return []
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self) -> float:
        """User + system CPU of the server and its live children so far."""
        total = 0.0
        for process in self.processes():
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def rss_mib(self) -> float:
        total = 0
        for process in self.processes():
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total / 2**20

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = (self.workdir / "server.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL to what is left after 15 s; the root is reaped last,
        so its process group id (its pid) cannot be reused by another process meanwhile."""
        if self.proc is not None:
            family = self.processes()
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except OSError:
                pass
            _, alive = psutil.wait_procs(family, timeout=15)
            if alive:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                for process in alive:  # a child that left the group
                    try:
                        process.kill()
                    except psutil.NoSuchProcess:
                        pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Server:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @abc.abstractmethod
    def start(self) -> None:
        """Start the server and return once it answers ready (each kind of server its own way)."""


class OurServer(Server):
    """``python -m ml.serve`` from the repo's venv, defaults unless ``extra`` flags say otherwise."""

    label = "ml.serve"

    def __init__(self, workdir: Path, artifact: Path, name: str, extra: list[str] | None = None) -> None:
        super().__init__(workdir)
        self.artifact, self.name, self.extra = artifact, name, list(extra or [])

    def start(self) -> None:
        port_file = self.workdir / "port.json"
        port_file.unlink(missing_ok=True)
        command = [str(PYTHON), "-m", "ml.serve", "--artifact", str(self.artifact), "--name", self.name,
                   "--port", "0", "--port-file", str(port_file), *self.extra]  # fmt: skip
        env = dict(os.environ)
        env.pop("VIRTUAL_ENV", None)
        started = time.perf_counter()
        self._spawn(command, env, ROOT)
        deadline = started + 120
        while not port_file.exists():
            assert self.proc is not None
            if self.proc.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"ml.serve wrote no port file:\n{self.log_tail()}")
            time.sleep(0.05)
        written = json.loads(port_file.read_text())
        self.host, self.port = written["host"], int(written["port"])
        self._wait("/v2/health/ready", started, 120)

    def metrics(self) -> dict[str, float]:
        """The unlabelled sums of the Prometheus samples the bench reads (batch sizes, instances)."""
        wanted = ("prediction_batch_size_sum", "prediction_batch_size_count", "prediction_instances_total")
        out = dict.fromkeys(wanted, 0.0)
        text = httpx.get(f"{self.url}/metrics", timeout=10).text
        for line in text.splitlines():
            name = line.split("{", 1)[0].split(" ", 1)[0]
            if name in out:
                out[name] += float(line.rsplit(" ", 1)[1])
        return out


def ensure_mlserver_venv(say: Any) -> None:
    """Create ``.bench-venvs/mlserver`` with MLServer and its scikit-learn runtime if it is missing."""
    if MLSERVER_BIN.exists():
        return
    say(f"creating {MLSERVER_VENV} ({', '.join(MLSERVER_PACKAGES)}); takes a minute or two")
    subprocess.run(["python3", "-m", "venv", str(MLSERVER_VENV)], check=True)
    subprocess.run([str(MLSERVER_VENV / "bin" / "pip"), "install", "-q", *MLSERVER_PACKAGES], check=True)


def mlserver_version() -> str:
    found = sorted(MLSERVER_VENV.glob("lib/python*/site-packages/mlserver-*.dist-info"))
    return found[-1].name.removeprefix("mlserver-").removesuffix(".dist-info") if found else "?"


def _write_stub(directory: Path) -> None:
    """``ml.models.tabular`` with only the functions the pickled pipeline refers to."""
    from ml.models import tabular

    package = directory / "ml" / "models"
    package.mkdir(parents=True, exist_ok=True)
    (directory / "ml" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    functions = "\n\n".join(inspect.getsource(f) for f in (tabular.as_float, tabular.as_text))
    header = (
        '"""Stub written by bench/serving.py for unpickling model.joblib."""\n\nfrom typing import Any\n\n'
    )
    imports = "import numpy as np\nimport pandas as pd\n\n\n"
    (package / "tabular.py").write_text(header + imports + functions)


class MlServer(Server):
    """``mlserver start`` over one model (``mlserver_sklearn.SKLearnModel``), in-process inference
    (``parallel_workers: 0``), no access log (``debug: false``), metrics on their own port (as by
    default); with ``batching``, MLServer's adaptive batching with the same limits as ours."""

    label = "MLServer"

    def __init__(
        self, workdir: Path, model_file: Path, name: str, batching: tuple[int, float] | None
    ) -> None:
        super().__init__(workdir)
        self.model_file, self.name, self.batching = model_file, name, batching

    def start(self) -> None:
        if not MLSERVER_BIN.exists():
            raise RuntimeError(f"{MLSERVER_BIN} missing (ensure_mlserver_venv creates it)")
        self.port = free_port()
        settings = {
            "debug": False, "host": self.host, "http_port": self.port, "grpc_port": free_port(),
            "metrics_port": free_port(), "parallel_workers": 0, "load_models_at_startup": True,
        }  # fmt: skip
        model: dict[str, Any] = {
            "name": self.name,
            "implementation": "mlserver_sklearn.SKLearnModel",
            "parameters": {"uri": str(self.model_file)},
        }
        if self.batching is not None:
            model["max_batch_size"], model["max_batch_time"] = self.batching
        repository = self.workdir / "repository"
        (repository / self.name).mkdir(parents=True, exist_ok=True)
        (repository / "settings.json").write_text(json.dumps(settings, indent=1))
        (repository / self.name / "model-settings.json").write_text(json.dumps(model, indent=1))
        stub = self.workdir / "stub"
        _write_stub(stub)
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        env["PYTHONPATH"] = str(stub)
        env["PATH"] = f"{MLSERVER_VENV / 'bin'}:{env.get('PATH', '')}"
        started = time.perf_counter()
        self._spawn([str(MLSERVER_BIN), "start", str(repository)], env, repository)
        self._wait(f"/v2/models/{self.name}/ready", started, 180)
