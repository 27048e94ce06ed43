#!/usr/bin/env bash
# Runs the web server, a django-q worker and (in QBO_ENVIRONMENT=local) the bundled QBO sandbox
# together. Ctrl-C stops all of them.
set -euo pipefail
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
SANDBOX_PORT=${SANDBOX_PORT:-8765}

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

if [ "${QBO_ENVIRONMENT:-local}" = "local" ]; then
  # The app talks to the sandbox started here and sends people to the server started here,
  # whatever PORT and SANDBOX_PORT say (over .env's values); one set in the environment wins.
  export QBO_SANDBOX_URL=${QBO_SANDBOX_URL:-http://127.0.0.1:$SANDBOX_PORT}
  export DISTRU_BASE_URL=${DISTRU_BASE_URL:-http://127.0.0.1:$PORT}
  export QBO_REDIRECT_URI=${QBO_REDIRECT_URI:-$DISTRU_BASE_URL/settings/integrations/quickbooks/callback/}
  mkdir -p var
  # The sandbox tells the app of every change, signed with QBO_WEBHOOK_VERIFIER_TOKEN (its
  # default, read from the app's settings).
  "$PY" manage.py qbo_sandbox --host 127.0.0.1 --port "$SANDBOX_PORT" --state-file var/qbo_sandbox.json \
    --webhook-url "http://127.0.0.1:$PORT/webhooks/quickbooks/" &
  pids+=($!)
fi
"$PY" manage.py qcluster &
pids+=($!)
"$PY" manage.py runserver "$HOST:$PORT" --noreload &
pids+=($!)

echo
echo "  Distru is running at http://$HOST:$PORT/admin/  (Ctrl-C stops everything)"
echo
wait -n
