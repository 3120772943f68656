"""Start the function image's server the way Knative does, as a process or a container.

Knative runs the image's CMD with ``PORT`` set to a port of its choosing and
``K_SERVICE``/``K_REVISION``/``K_CONFIGURATION`` set, probes it, and on scale-down
sends SIGTERM, then SIGKILL after the grace period. ``GunicornProcess`` runs the
image's exact command (``gunicorn -c python:functions.gunicorn_conf functions.wsgi:app``)
from this checkout; ``FunctionContainer`` runs the built image ``extgate/functions:dev``
with host networking so it reaches loopback stand-ins.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

from tests.support.loopback import env_without, wait_until

REPO = Path(__file__).resolve().parents[2]
COMMAND = ["gunicorn", "-c", "python:functions.gunicorn_conf", "functions.wsgi:app"]
IMAGE = "extgate/functions:dev"


def knative_env(target: str, port: int, revision: str = "00001") -> dict[str, str]:
    service = target.replace("_", "-")
    return {
        "PORT": str(port),
        "FUNCTION_TARGET": target,
        "K_SERVICE": service,
        "K_CONFIGURATION": service,
        "K_REVISION": f"{service}-{revision}",
    }


class Server:
    """Common surface: url, wait_ready(), sigterm(), wait_exit(), logs()."""

    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path: str = "/livez", timeout_s: float = 60.0) -> float:
        """Poll the readiness path like the kubelet; returns seconds until 200."""
        started = time.perf_counter()
        try:
            wait_until(
                lambda: requests.get(self.url + path, timeout=1).status_code == 200,
                timeout_s,
                f"{self.url}{path} answering 200",
                interval_s=0.02,
                alive=lambda: not self.exited(),
            )
        except (RuntimeError, TimeoutError) as exc:
            raise type(exc)(f"{exc}:\n{self.logs()}") from None
        return time.perf_counter() - started

    def exited(self) -> bool:
        raise NotImplementedError

    def logs(self) -> str:
        raise NotImplementedError


class GunicornProcess(Server):
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = int(env["PORT"])
        self._log = log_path.open("wb")
        self._log_path = log_path
        base = env_without("RUNNER_", "EXT_")
        bindir = str(Path(sys.executable).parent)
        self.proc = subprocess.Popen(
            [str(Path(bindir) / COMMAND[0]), *COMMAND[1:]],
            cwd=REPO,
            env=base | {"PATH": bindir + os.pathsep + base.get("PATH", "")} | env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def sigterm(self) -> None:
        self.proc.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout_s: float) -> int:
        return self.proc.wait(timeout=timeout_s)

    def exited(self) -> bool:
        return self.proc.poll() is not None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._log.close()

    def logs(self) -> str:
        self._log.flush()
        return self._log_path.read_text(errors="replace")


class FunctionContainer(Server):
    def __init__(self, env: dict[str, str], mounts: dict[str, str]) -> None:
        self.port = int(env["PORT"])
        self.name = f"extgate-knative-test-{uuid.uuid4().hex[:8]}"
        cmd = ["docker", "run", "-d", "--name", self.name, "--network", "host"]
        for key, value in env.items():
            cmd += ["-e", f"{key}={value}"]
        for host_path, container_path in mounts.items():
            cmd += ["-v", f"{host_path}:{container_path}:ro"]
        subprocess.run([*cmd, IMAGE], check=True, capture_output=True, text=True)

    def sigterm(self) -> None:
        subprocess.run(["docker", "kill", "--signal", "TERM", self.name], check=True,
                       capture_output=True)  # fmt: skip

    def wait_exit(self, timeout_s: float) -> int:
        out = subprocess.run(["docker", "wait", self.name], capture_output=True, text=True,
                             timeout=timeout_s, check=True)  # fmt: skip
        return int(out.stdout.strip())

    def exited(self) -> bool:
        out = subprocess.run(["docker", "inspect", "-f", "{{.State.Running}}", self.name],
                             capture_output=True, text=True)  # fmt: skip
        return out.stdout.strip() != "true"

    def stop(self) -> None:
        subprocess.run(["docker", "rm", "-f", self.name], capture_output=True)

    def logs(self) -> str:
        out = subprocess.run(["docker", "logs", self.name], capture_output=True, text=True)
        return out.stdout + out.stderr


def docker_image_available(image: str = IMAGE) -> str | None:
    """None when the engine answers and the image exists, else why not."""
    try:
        info = subprocess.run(["docker", "image", "inspect", image], capture_output=True,
                              text=True, timeout=30)  # fmt: skip
    except (FileNotFoundError, subprocess.TimeoutExpired) as exc:
        return f"docker engine not usable: {exc}"
    if info.returncode != 0:
        return f"image {image} missing (build it with `make images`): {info.stderr.strip()}"
    return None
