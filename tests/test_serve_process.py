"""`leaflet serve` as a real process: it starts, answers, keeps patient data out of its log
and off the disk, and stops cleanly on SIGTERM and Ctrl-C (SIGINT)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import ROOT, pdf_text

LEAFLET = [sys.executable, "-c", "from leaflet.cli import main; main()"]
SECRET_NAME = "Zoë Quillfeather"
SECRET_QUERY = "Ambrose Whitlock"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`leaflet serve` in its own folder and temporary folder, its log captured."""

    def __init__(self, folder: Path, *options: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "server.log"
        self.tmp = folder / "tmp"
        self.tmp.mkdir()
        env = {**os.environ, "TMPDIR": str(self.tmp)}
        env.pop("LEAFLET_TOKEN", None)
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [*LEAFLET, "serve", "--content-dir", str(ROOT / "content"), "--port", str(self.port), *options],
            cwd=folder, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the server did not start:\n{self.output()}")
            time.sleep(0.1)

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, signum: int, within: float = 20) -> int:
        started = time.monotonic()
        self.process.send_signal(signum)
        code = self.process.wait(within)
        assert time.monotonic() - started < within
        self.log.close()
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if not self.log.closed:
            self.log.close()


@pytest.fixture
def server(tmp_path, request):
    servers = []

    def start(*options: str) -> Server:
        servers.append(Server(tmp_path, *options))
        return servers[-1]

    yield start
    for each in servers:
        each.kill()


def test_patient_data_never_reaches_the_log_or_the_disk_and_sigterm_stops_it(server, tmp_path):
    running = server("--workers", "1")
    with httpx.Client(base_url=running.url) as client:
        pdf = client.post("/api/leaflets", json={"medicine": "dupixent", "patient_age": 40,
                                                 "patient_name": SECRET_NAME})
        assert pdf.status_code == 200
        assert f"Prepared for {SECRET_NAME}" in pdf_text(pdf.content)
        # a name where it should never be: in a URL, and in a request that fails
        assert client.get("/", params={"patient_name": SECRET_QUERY}).status_code == 200
        bad = client.post("/api/leaflets", json={"medicine": "dupixent", "patient_age": "x",
                                                 "patient_name": SECRET_NAME + " 王"})
        assert bad.status_code == 422
    code = running.stop(signal.SIGTERM)
    log = running.output()
    # uvicorn finishes the requests in hand, then one worker exits by the signal it got
    assert code == -signal.SIGTERM, log
    assert "Application shutdown complete" in log and "Finished server process" in log
    assert "POST /api/leaflets 200" in log and "GET / 200" in log  # there is an access log...
    for secret in (SECRET_NAME, SECRET_QUERY, "Quillfeather", "Whitlock", "Ambrose"):
        assert secret not in log  # ...with no name in it, not even from the query string
    assert "Traceback" not in log
    written = [str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file()]
    assert written == ["server.log"]  # nothing in its folder or its temporary folder


def test_ctrl_c_stops_every_worker_cleanly(server):
    running = server("--workers", "2")
    with httpx.Client(base_url=running.url) as client:
        for _ in range(4):
            assert client.post("/api/leaflets", json={"medicine": "dupixent", "audience": "adult"}).status_code == 200
    code = running.stop(signal.SIGINT)
    log = running.output()
    assert code == 0, log  # uvicorn's supervisor of several workers exits 0 once they have all finished
    assert "Traceback" not in log
    assert log.count("Finished server process") == 2, log  # both workers finished, none killed
