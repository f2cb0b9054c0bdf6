"""A real `leaflet serve` process for the tests: its own folder, its log captured."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from conftest import DUPIXENT, ROOT
from leaflet import manifest

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

    def children(self) -> list[int]:
        """The server's child processes (its render workers), from /proc."""
        found = []
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    if int(handle.read().rsplit(")", 1)[1].split()[1]) == self.process.pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
        return found

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


def batch_words(**values: str) -> list[str]:
    """What `leaflet batch` says about a manifest row with these values (Dupixent): the
    server must say the same, word for word."""
    problems: list[str] = []
    manifest.check_row(2, {"content": str(DUPIXENT), **values}, ROOT, problems)
    return problems
