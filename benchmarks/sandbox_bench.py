"""Benchmark of the QBO sandbox: a 1000-item query page, and simple requests per second.

    .venv/bin/python benchmarks/sandbox_bench.py [--items 10000] [--clients 3] [--seconds 5]

The sandbox runs in its own process, as `manage.py qbo_sandbox` does. Clients are processes,
each with a keep-alive requests.Session: threads in one process would measure the client's
GIL rather than the sandbox.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from integrations.sandbox.backend import DEFAULT_REALM_ID, Backend, Config  # noqa: E402
from integrations.sandbox.server import SandboxServer  # noqa: E402
from integrations.sandbox.wsgi import SandboxApp  # noqa: E402

PAGE_QUERY = "SELECT * FROM Item STARTPOSITION 1 MAXRESULTS 1000"


def run_sandbox(port: int, items: int) -> None:
    """The sandbox process: the sample company plus `items` items, limits off."""
    backend = Backend(Config(limits=False))
    backend.reset(items=items)
    SandboxServer(SandboxApp(backend), "127.0.0.1", port).serve_forever()


def wait_until_up(base: str) -> None:
    """Poll the control plane until the sandbox answers."""
    for _ in range(300):
        try:
            requests.get(f"{base}/_sandbox/state", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("the sandbox did not start")


def hammer(api: str, token: str, seconds: float, counts) -> None:
    """One client: simple reads on a keep-alive session for `seconds`."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    done, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        session.get(f"{api}/item/1", headers=headers, params={"minorversion": "75"})
        done += 1
    counts.put(done)


def main() -> None:
    """Start the sandbox, measure, print both figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10000)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()

    base = f"http://127.0.0.1:{args.port}"
    api = f"{base}/v3/company/{DEFAULT_REALM_ID}"
    sandbox = multiprocessing.Process(target=run_sandbox, args=(args.port, args.items))
    sandbox.start()
    try:
        wait_until_up(base)
        session = requests.Session()
        token = session.post(f"{base}/_sandbox/token", json={}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

        client_ms = []
        for _ in range(30):
            started = time.perf_counter()
            page = session.get(f"{api}/query", headers=headers, params={"query": PAGE_QUERY})
            client_ms.append((time.perf_counter() - started) * 1000)
            assert len(page.json()["QueryResponse"]["Item"]) == 1000
        log = session.get(f"{base}/_sandbox/state").json()["requests"]
        server_ms = [e["duration_ms"] for e in log if e.get("operation") == "query"]
        print(
            f"Query page of 1000 items ({args.items} generated): "
            f"median {statistics.median(server_ms):.1f} ms in the sandbox, "
            f"{statistics.median(client_ms):.1f} ms at the client "
            f"(p95 {sorted(client_ms)[int(len(client_ms) * 0.95)]:.1f} ms)"
        )

        counts = multiprocessing.Queue()
        clients = [
            multiprocessing.Process(target=hammer, args=(api, token, args.seconds, counts))
            for _ in range(args.clients)
        ]
        started = time.perf_counter()
        for client in clients:
            client.start()
        total = sum(counts.get() for _ in clients)
        for client in clients:
            client.join()
        elapsed = time.perf_counter() - started
        print(
            f"Simple requests (GET item/1, {args.clients} keep-alive clients): "
            f"{total / elapsed:.0f} requests/s over {elapsed:.1f} s"
        )
    finally:
        sandbox.terminate()
        sandbox.join()


if __name__ == "__main__":
    main()
