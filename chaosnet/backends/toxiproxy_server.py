"""The local backend's toxiproxy-server: a child on a free 127.0.0.1 port, with proxy metrics on,
in its own process group, and gone when chaosnet is gone (`children.spawn`)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

from chaosnet import tools
from chaosnet.backends.children import spawn
from chaosnet.backends.ports import free_ports
from chaosnet.errors import BackendError, HarnessFault
from chaosnet.faults.toxiproxy import ToxiproxyClient, server_env, wait_until_answers


class ToxiproxyServer:
    """A toxiproxy-server process of the local backend, in its own process group."""

    def __init__(self, process: subprocess.Popen[bytes], host: str, port: int) -> None:
        self.process = process
        self.host = host
        self.port = port

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @classmethod
    def start(
        cls,
        log_path: Path | None = None,
        binary: str | None = None,
        host: str = "127.0.0.1",
        ready_timeout: float = 10.0,
    ) -> ToxiproxyServer:
        """Start on a free port with proxy metrics on; wait until the API answers.

        A port taken between choosing and binding it is retried on another port (3 tries).
        """
        path = binary or tools.toxiproxy_server()
        if path is None:
            raise BackendError(
                "toxiproxy-server not found on PATH or beside Python; run `make install` or "
                "scripts/install-toxiproxy.sh .venv/bin (or set CHAOSNET_TOXIPROXY)"
            )
        last: Exception | None = None
        for _ in range(3):
            (port,) = free_ports(1, host)
            argv = [path, "-host", host, "-port", str(port), "-proxy-metrics"]
            out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
            try:
                process = spawn(
                    argv,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    env={**os.environ, **server_env()},
                )
            finally:
                if log_path:
                    out.close()  # type: ignore[union-attr]
            server = cls(process, host, port)
            try:
                with ToxiproxyClient(server.api_url, timeout=2.0) as client:
                    wait_until_answers(client, ready_timeout)
                return server
            except HarnessFault as exc:
                last = exc
                server.stop()
        raise HarnessFault(f"toxiproxy-server ({path}) did not start: {last}")

    def stop(self, grace: float = 3.0) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds; safe to call twice."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(grace)
