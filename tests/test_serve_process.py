"""`leaflet serve` as a real process: it starts, answers, keeps patient data out of its log
and off the disk, and stops cleanly on SIGTERM and Ctrl-C (SIGINT)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from conftest import pdf_text

from serving import SECRET_NAME, SECRET_QUERY, Server


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
                                                 "patient_name": SECRET_NAME + " 𓀀"})
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
    workers = running.children()
    assert len(workers) >= 2  # the render processes (and multiprocessing's resource tracker)
    with httpx.Client(base_url=running.url) as client:
        for _ in range(4):
            assert client.post("/api/leaflets", json={"medicine": "dupixent", "audience": "adult"}).status_code == 200
    code = running.stop(signal.SIGINT)
    log = running.output()
    assert code == 0, log
    assert "Application shutdown complete" in log and "Finished server process" in log
    assert "Traceback" not in log and "KeyboardInterrupt" not in log
    def alive(pid: int) -> bool:
        try:
            return "zombie" not in Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return False

    deadline = time.monotonic() + 5  # multiprocessing's resource tracker leaves when it reads EOF
    while any(map(alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in workers if alive(pid)] == []  # no render process outlives the server


def test_a_render_worker_that_dies_is_replaced(server):
    running = server("--workers", "1")
    body = {"medicine": "dupixent", "audience": "adult"}
    renderers = [pid for pid in running.children() if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()]
    assert len(renderers) == 1
    os.kill(renderers[0], signal.SIGKILL)  # as the out-of-memory killer would
    with httpx.Client(base_url=running.url, timeout=30) as client:
        first = client.post("/api/leaflets", json=body)
        assert first.status_code in (200, 503)  # the broken pool's request may be refused, never hang
        assert client.post("/api/leaflets", json=body).status_code == 200
    assert running.stop(signal.SIGTERM) == -signal.SIGTERM
    assert "a render worker died; starting a new pool" in running.output()
