"""`make run` (scripts/devserver.sh): the app it starts talks to the sandbox it starts, and is
reached where it serves, whatever ports were chosen; it says it is running only once it is, a
taken port is named and leaves nothing running, and a TERM to `make run` stops everything.

Django's commands are stood in for by a small Python program that behaves as they do on the
network (the server and the sandbox listen on their port, the worker waits) and notes what it
was started with: the script, make, the sockets and the signals are real.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SCRIPT = ROOT / "scripts" / "devserver.sh"
# Ports of their own, so that these tests never meet a make run on the usual 8000 and 8765.
PORT, SANDBOX_PORT = 32010, 32011
STAND_IN = f"""#!{sys.executable}
import os, signal, socket, sys, time

command = sys.argv[2] if len(sys.argv) > 2 else ""
def note(line):
    with open(os.environ["RECORD"], "a") as record:
        record.write(line + "\\n")

if command not in ("runserver", "qcluster", "qbo_sandbox"):
    sys.exit(0)  # make run's migrate, seed_demo and create_demo_superuser
signal.signal(signal.SIGTERM, lambda *_: (note(f"stopped {{command}}"), sys.exit(0)))
urls = [
    os.environ.get(name, "-") for name in ("QBO_SANDBOX_URL", "QBO_REDIRECT_URI", "DISTRU_BASE_URL")
]
note(" ".join([command, *urls, *sys.argv[1:]]))
if os.environ.get("FAIL") == command:
    sys.exit(1)  # as a command that cannot start does
port = None
if command == "runserver":
    port = int(sys.argv[3].rsplit(":", 1)[1])
elif command == "qbo_sandbox":
    port = int(sys.argv[sys.argv.index("--port") + 1])
if port is not None:
    time.sleep(float(os.environ.get("LISTEN_AFTER", "0")))
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen()
    note(f"listening {{command}}")
while True:
    time.sleep(0.1)
"""


class Started:
    """The script (or make run) running with the stand-in; `stop()` TERMs it."""

    def __init__(self, tmp_path: Path, command: list[str], **variables: str):
        stand_in = tmp_path / "python"
        stand_in.write_text(STAND_IN)
        stand_in.chmod(0o755)
        self.record = tmp_path / "record"
        self.record.touch()
        keep = {"PATH", "HOME", "LANG"}
        env = {key: value for key, value in os.environ.items() if key in keep}
        env.update(
            PY=str(stand_in),
            RECORD=str(self.record),
            QBO_ENVIRONMENT="local",
            PORT=str(PORT),
            SANDBOX_PORT=str(SANDBOX_PORT),
            **variables,
        )
        self.process = subprocess.Popen(  # noqa: S603 - our own script
            [part.replace("{python}", str(stand_in)) for part in command],
            cwd=ROOT if command[0] == "make" else tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def lines(self) -> list[str]:
        return self.record.read_text().splitlines()

    def commands(self) -> dict[str, list[str]]:
        """What each command was started with: the three URLs, then its arguments."""
        words = [line.split() for line in self.lines()]
        return {w[0]: w[1:] for w in words if w[0] in ("runserver", "qcluster", "qbo_sandbox")}

    def wait_for_running_line(self) -> None:
        """Read the output until the "running at" line, then until the worker stand-in is up
        (it starts in parallel with the server, and listens to TERM once it has noted it)."""
        for line in self.process.stdout:
            if "is running at" in line:
                break
        else:
            raise AssertionError(f"no running line; stderr: {self.process.stderr.read()}")
        deadline = time.monotonic() + 10
        while "qcluster" not in self.commands() and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self, pid: int | None = None) -> None:
        os.kill(pid or self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)

    def cleanup(self) -> None:
        """Whatever of its session is still there, after a failed test."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def start(tmp_path):
    started = []

    def run(command=(str(SCRIPT),), **variables) -> Started:
        started.append(Started(tmp_path, list(command), **variables))
        return started[-1]

    yield run
    for each in started:
        each.cleanup()


def accepts(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_other_ports_point_the_app_at_the_sandbox_and_the_server_make_run_started(start):
    running = start()
    running.wait_for_running_line()
    commands = running.commands()
    running.stop()

    for command in ("runserver", "qcluster"):
        sandbox_url, redirect_uri, base_url = commands[command][:3]
        assert sandbox_url == f"http://127.0.0.1:{SANDBOX_PORT}"
        assert redirect_uri == f"http://127.0.0.1:{PORT}/settings/integrations/quickbooks/callback/"
        assert base_url == f"http://127.0.0.1:{PORT}"
    assert f"127.0.0.1:{PORT}" in commands["runserver"]
    sandbox = commands["qbo_sandbox"]
    assert sandbox[sandbox.index("--port") + 1] == str(SANDBOX_PORT)
    assert sandbox[sandbox.index("--webhook-url") + 1] == (
        f"http://127.0.0.1:{PORT}/webhooks/quickbooks/"
    )


def test_a_url_set_in_the_environment_wins_over_the_ports(start):
    running = start(DISTRU_BASE_URL="https://distru.example.test")
    running.wait_for_running_line()
    commands = running.commands()
    running.stop()

    sandbox_url, redirect_uri, base_url = commands["runserver"][:3]
    assert base_url == "https://distru.example.test"
    assert redirect_uri == "https://distru.example.test/settings/integrations/quickbooks/callback/"
    assert sandbox_url == f"http://127.0.0.1:{SANDBOX_PORT}"


def test_the_running_line_comes_once_the_server_and_the_sandbox_listen(start):
    running = start(LISTEN_AFTER="1.5")
    running.wait_for_running_line()

    assert accepts(PORT)
    assert accepts(SANDBOX_PORT)
    assert {"listening runserver", "listening qbo_sandbox"} <= set(running.lines())
    running.stop()


@pytest.mark.parametrize(
    ("taken", "named", "how"),
    [(PORT, f"Port {PORT} ", "PORT="), (SANDBOX_PORT, f"Port {SANDBOX_PORT} ", "SANDBOX_PORT=")],
)
def test_a_taken_port_is_named_in_one_line_and_nothing_is_left_running(start, taken, named, how):
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind(("127.0.0.1", taken))
        other.listen()
        running = start()
        returncode = running.process.wait(timeout=30)
        stdout, stderr = running.process.stdout.read(), running.process.stderr.read()

    assert returncode == 1
    assert stderr.count("\n") == 1
    assert stderr.startswith(named)
    assert "in use" in stderr
    assert f"{how}{taken + 10} make run" in stderr
    assert "is running at" not in stdout
    assert running.lines() == []  # nothing was started


def test_a_process_ending_before_the_server_listens_stops_the_others_and_fails(start):
    running = start(LISTEN_AFTER="0.5", FAIL="qbo_sandbox")
    returncode = running.process.wait(timeout=30)

    assert returncode == 1
    assert "did not start" in running.process.stderr.read()
    assert "stopped qcluster" in running.lines()


def test_term_to_make_run_stops_the_worker_the_sandbox_and_the_server(start):
    running = start(
        # -o: the stand-in installs nothing, so the virtualenv's stamp is left as it is.
        ["make", "--no-print-directory", "-o", ".venv/.installed", "run", "PY={python}"]
    )
    running.wait_for_running_line()
    assert accepts(PORT)

    running.stop()

    assert running.process.returncode != 0
    stopped = {line for line in running.lines() if line.startswith("stopped ")}
    assert stopped == {"stopped qcluster", "stopped runserver", "stopped qbo_sandbox"}
    assert not accepts(PORT)
    assert not accepts(SANDBOX_PORT)
