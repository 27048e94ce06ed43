"""The soak under faults, shortened for CI: the same code as `make soak`, with fewer jobs.

It runs benchmarks/soak.py in a subprocess: the workers are separate processes, so they need a
database of their own (a SQLite file, or `<name>_soak_<pid>` next to DATABASE_URL's PostgreSQL
database), never pytest-django's test database.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHORT_JOBS = int(os.environ.get("SOAK_SHORT_JOBS", "300"))


def test_a_short_soak_under_faults_loses_nothing_doubles_nothing_and_stays_flat(tmp_path):
    """Invoices, payments and bills through two qcluster processes, 10% of requests faulted:
    each record is in QBO exactly once, no job is left unfinished, worker memory stays flat."""
    figures = tmp_path / "soak.json"
    run = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "benchmarks/soak.py", "--jobs", str(SHORT_JOBS), "--timeout", "300",
         "--json", str(figures)],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )  # fmt: skip
    print(run.stdout)  # the figures, shown by -rA or when the test fails
    assert figures.exists(), run.stdout + run.stderr[-3000:]
    result = json.loads(figures.read_text())
    assert result["faults"]["total"] > 0
    assert set(result["faults"]["injected"]) == {
        "throttle", "server_error", "timeout", "drop_after_commit", "token_expiry",
    }  # fmt: skip
    assert result["batch_requests"] > 0, run.stdout  # backlogs went in batches, under faults
    assert result["duplicates"] == 0, run.stdout
    assert result["lost"] == 0, run.stdout
    assert result["memory_growth_mb"] <= result["memory_bound_mb"], run.stdout
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
