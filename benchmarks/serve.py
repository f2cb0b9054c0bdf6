"""How fast is `leaflet serve`, and how does it behave above saturation? Prints figures; asserts nothing.

    .venv/bin/python benchmarks/serve.py                 # the runs below (~2 min)
    .venv/bin/python benchmarks/serve.py --duration 10   # a quicker look

A bounded load test on loopback only (127.0.0.1, a port picked free): it starts the real
`leaflet serve --workers N` as a process and sends `POST /api/leaflets` with httpx from
this process, each request a personalised leaflet (three audiences, ages, weights, names
in several scripts, pharmacy and phone: the rows of benchmarks/batch.py). Every phase
stops by itself after its duration. Runs:

1. one client, one request at a time: the latency of one leaflet;
2. `--clients` concurrent clients (default 20) for `--duration` seconds;
3. `--overload` concurrent clients (default 64) with the default queue (32): above
   saturation, where the answer should be 503 + Retry-After, not timeouts; a client told
   503 waits Retry-After, as a well-behaved client does;
4. `leaflet batch --jobs N` on the same rows, before and after the runs above (the
   machine may be shared: their mean is the throughput to compare with).

Printed per run: requests/s (200s only), p50/p95/p99 latency of the 200s as the client
saw them, the same inside the server (from its access log: without the kernel's queues
and this client's own delays), the count of each other status, client timeouts and
connection errors, and the server's peak RSS (largest process, and all of its
processes), sampled from /proc every 50 ms. The load
generator shares the machine's cores with the server, so the server's own capacity is
somewhat higher than measured.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import csv
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from batch import LEAFLET, ROOT, _rss_kib, _tree, timed, write_manifest  # noqa: E402

HOST = "127.0.0.1"  # loopback only, always


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def bodies(folder: Path, count: int) -> list[dict]:
    """The batch benchmark's personalised rows, as API requests."""
    manifest = folder / "rows.csv"
    write_manifest(manifest, count)
    with open(manifest, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [{"medicine": Path(row["content"]).stem, **{k: v for k, v in row.items() if k != "content"}} for row in rows]


class Memory:
    """Peak RSS of a process and its children, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid, self.one, self.all = pid, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            sizes = [_rss_kib(pid) for pid in _tree(self.pid)]
            self.one = max(self.one, *sizes, 0)
            self.all = max(self.all, sum(sizes))
            time.sleep(0.05)

    def reset(self) -> None:
        self.one = self.all = 0

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


async def load(url: str, requests: list[dict], clients: int, duration: float, timeout: float) -> dict:
    """`clients` loops, each sending one request after another until `duration` is up."""
    latencies: list[float] = []
    refused: list[float] = []  # how long a 503 took to come back
    outcomes: collections.Counter = collections.Counter()
    deadline = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as client:
        async def one_client(offset: int) -> None:
            index = offset
            while time.perf_counter() < deadline:
                body = requests[index % len(requests)]
                index += clients
                started = time.perf_counter()
                try:
                    response = await client.post("/api/leaflets", json=body)
                except httpx.TimeoutException:
                    outcomes["client timeout"] += 1
                    continue
                except httpx.TransportError as error:
                    outcomes[f"connection error ({type(error).__name__})"] += 1
                    await asyncio.sleep(0.01)
                    continue
                elapsed = time.perf_counter() - started
                if response.status_code == 200 and response.content.startswith(b"%PDF"):
                    latencies.append(elapsed)
                    outcomes["200"] += 1
                else:
                    outcomes[str(response.status_code)] += 1
                    if response.status_code == 503 and "retry-after" in response.headers:
                        refused.append(elapsed)
                        # as a well-behaved client does: wait as told (never past the run's end)
                        await asyncio.sleep(min(float(response.headers["retry-after"]),
                                                max(0.0, deadline - time.perf_counter())))

        started = time.perf_counter()
        await asyncio.gather(*(one_client(offset) for offset in range(clients)))
        wall = time.perf_counter() - started
    return {"wall": wall, "latencies": latencies, "outcomes": outcomes, "refused": refused}


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


class ServerLog:
    """The server's own access log (`POST /api/leaflets 503 0.4 ms`): how long each answer
    took inside the server, without the time spent in the kernel's queues or this client."""

    LINE = re.compile(r"POST /api/leaflets (\d{3}) ([0-9.]+) ms")

    def __init__(self, path: Path) -> None:
        self.path, self.offset = path, 0

    def since_last(self) -> dict[str, list[float]]:
        with open(self.path, encoding="utf-8", errors="replace") as handle:
            handle.seek(self.offset)
            text = handle.read()
            self.offset = handle.tell()
        times: dict[str, list[float]] = collections.defaultdict(list)
        for status, ms in self.LINE.findall(text):
            times[status].append(float(ms))
        return times


def report(label: str, result: dict, memory: Memory, server_log: ServerLog) -> None:
    latencies = result["latencies"]
    ms = [value * 1000 for value in latencies]
    others = {key: value for key, value in sorted(result["outcomes"].items()) if key != "200"}
    print(f"  {label}")
    print(f"    {len(latencies) / result['wall']:7.1f} leaflets/s ({len(latencies)} in {result['wall']:.1f} s); "
          f"latency p50 {percentile(ms, .5):6.1f} ms, p95 {percentile(ms, .95):6.1f} ms, "
          f"p99 {percentile(ms, .99):6.1f} ms" + (f", mean {statistics.fmean(ms):.1f} ms" if ms else ""))
    if result["refused"]:
        refused = [value * 1000 for value in result["refused"]]
        print(f"    503s came back in p50 {percentile(refused, .5):.1f} ms, p99 {percentile(refused, .99):.1f} ms "
              "(each client then waited Retry-After)")
    inside = server_log.since_last()
    print("    inside the server: " + "; ".join(
        f"{status}s p50 {percentile(times, .5):.1f} ms, p99 {percentile(times, .99):.1f} ms"
        for status, times in sorted(inside.items())))
    print(f"    not 200: {others or 'none'}; server peak RSS {memory.one / 1024:.0f} MiB per process, "
          f"{memory.all / 1024:.0f} MiB all processes")


batch_rates: list[float] = []


def batch(when: str, folder: Path, workers: int) -> None:
    """`leaflet batch --jobs N` on the same rows, the throughput to compare with."""
    out = folder / f"out-{when}"
    wall, one, tree, _ = timed([*LEAFLET, "batch", str(folder / "rows.csv"), "--out-dir", str(out),
                                "--jobs", str(workers)])
    batch_rates.append(1000 / wall)
    print(f"  leaflet batch --jobs {workers} on the same 1000 rows, {when}: {1000 / wall:7.1f} leaflets/s "
          f"({wall:.1f} s, start-up and writing included); peak RSS {one:.0f} MiB per process, "
          f"{tree:.0f} MiB all processes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--overload", type=int, default=64, help="clients for the run above saturation")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per run")
    args = parser.parse_args()

    print(f"leaflet serve benchmark: --workers {args.workers}, {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"POST /api/leaflets on {HOST}")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        requests = bodies(folder, 1000)
        batch("before", folder, args.workers)  # and after: the machine may be shared, so both
        port = free_port()
        url = f"http://{HOST}:{port}"
        log_path = folder / "server.log"
        log_file = open(log_path, "wb")
        server = subprocess.Popen([*LEAFLET, "serve", "--host", HOST, "--port", str(port), "--workers",
                                   str(args.workers), "--content-dir", str(ROOT / "content")],
                                  stdout=log_file, stderr=subprocess.STDOUT)
        server_log = ServerLog(log_path)
        memory = Memory(server.pid)
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{url}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                sys.exit("the server did not start")
            asyncio.run(load(url, requests, args.clients, 3, 30))  # warm every worker
            server_log.since_last()
            memory.reset()
            report("1 client, one request at a time (one leaflet's latency)",
                   asyncio.run(load(url, requests, 1, min(10.0, args.duration), 30)), memory, server_log)
            memory.reset()
            result = asyncio.run(load(url, requests, args.clients, args.duration, 30))
            loaded = len(result["latencies"]) / result["wall"]
            report(f"{args.clients} concurrent clients, {args.duration:g} s", result, memory, server_log)
            memory.reset()
            report(f"{args.overload} concurrent clients, {args.duration:g} s (above saturation; client timeout 30 s)",
                   asyncio.run(load(url, requests, args.overload, args.duration, 30)), memory, server_log)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(60)
            memory.stop()
            log_file.close()

        batch("after", folder, args.workers)
        print(f"  20 clients against leaflet batch (mean of before and after): "
              f"{100 * loaded / statistics.fmean(batch_rates):.0f}%")


if __name__ == "__main__":
    main()
