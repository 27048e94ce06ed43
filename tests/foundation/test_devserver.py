"""`make run` (scripts/devserver.sh): the app it starts talks to the sandbox it starts, and is
reached where it serves, whatever ports were chosen."""

import os
import subprocess
from pathlib import Path

from django.conf import settings

SCRIPT = Path(settings.BASE_DIR) / "scripts" / "devserver.sh"
# Stands in for Python: notes the manage.py command and the URLs it was given, then lingers a
# moment so that every process is started before the first to end stops the others.
RECORDER = """#!/bin/sh
echo "$2 $QBO_SANDBOX_URL $QBO_REDIRECT_URI $DISTRU_BASE_URL $*" >> "$RECORD"
sleep 1
"""


def started(tmp_path: Path, **variables: str) -> dict[str, list[str]]:
    """Run the script with `variables` set; what each command was started with."""
    recorder = tmp_path / "python"
    recorder.write_text(RECORDER)
    recorder.chmod(0o755)
    record = tmp_path / "record"
    keep = {"PATH", "HOME", "LANG"}
    env = {key: value for key, value in os.environ.items() if key in keep}
    env.update(PY=str(recorder), RECORD=str(record), QBO_ENVIRONMENT="local", **variables)
    subprocess.run(  # noqa: S603 - our own script
        [str(SCRIPT)], cwd=tmp_path, env=env, check=True, capture_output=True, timeout=30
    )
    lines = [line.split() for line in record.read_text().splitlines()]
    return {words[0]: words[1:] for words in lines}


def test_other_ports_point_the_app_at_the_sandbox_and_the_server_make_run_started(tmp_path):
    commands = started(tmp_path, PORT="8010", SANDBOX_PORT="8775")

    for command in ("runserver", "qcluster"):
        sandbox_url, redirect_uri, base_url = commands[command][:3]
        assert sandbox_url == "http://127.0.0.1:8775"
        assert redirect_uri == "http://127.0.0.1:8010/settings/integrations/quickbooks/callback/"
        assert base_url == "http://127.0.0.1:8010"
    assert "127.0.0.1:8010" in commands["runserver"]
    sandbox = commands["qbo_sandbox"]
    assert sandbox[sandbox.index("--port") + 1] == "8775"
    assert sandbox[sandbox.index("--webhook-url") + 1] == (
        "http://127.0.0.1:8010/webhooks/quickbooks/"
    )


def test_a_url_set_in_the_environment_wins_over_the_ports(tmp_path):
    commands = started(
        tmp_path, PORT="8010", DISTRU_BASE_URL="https://distru.example.test", SANDBOX_PORT="8775"
    )

    sandbox_url, redirect_uri, base_url = commands["runserver"][:3]
    assert base_url == "https://distru.example.test"
    assert redirect_uri == "https://distru.example.test/settings/integrations/quickbooks/callback/"
    assert sandbox_url == "http://127.0.0.1:8775"
