#!/usr/bin/env bash
# Runs the web server, a django-q worker and (in QBO_ENVIRONMENT=local) the bundled QBO sandbox
# together. Ctrl-C, or a TERM to this script or to the `make run` that started it, stops all of
# them.
set -euo pipefail
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
SANDBOX_PORT=${SANDBOX_PORT:-8765}
# Where the sandbox keeps its company between runs.
SANDBOX_STATE=${SANDBOX_STATE:-var/qbo_sandbox.json}
# How long the server may take to listen before the start counts as failed.
START_TIMEOUT=${START_TIMEOUT:-60}
local_sandbox=false
[ "${QBO_ENVIRONMENT:-local}" = "local" ] && local_sandbox=true

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT
# A signal stops the others, then ends this script with the signal's status.
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

listening() { # host port: something accepts connections there
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# Checked before anything starts, so a taken port leaves nothing running.
if listening "$HOST" "$PORT"; then
  echo "Port $PORT is already in use (another make run?): pick another with PORT=$((PORT + 10)) make run." >&2
  exit 1
fi
if $local_sandbox && listening 127.0.0.1 "$SANDBOX_PORT"; then
  echo "Port $SANDBOX_PORT (the QuickBooks sandbox) is already in use (another make run?): pick another with SANDBOX_PORT=$((SANDBOX_PORT + 10)) make run." >&2
  exit 1
fi

if $local_sandbox; then
  # The app talks to the sandbox started here and sends people to the server started here,
  # whatever PORT and SANDBOX_PORT say (over .env's values); one set in the environment wins.
  export QBO_SANDBOX_URL=${QBO_SANDBOX_URL:-http://127.0.0.1:$SANDBOX_PORT}
  export DISTRU_BASE_URL=${DISTRU_BASE_URL:-http://127.0.0.1:$PORT}
  export QBO_REDIRECT_URI=${QBO_REDIRECT_URI:-$DISTRU_BASE_URL/settings/integrations/quickbooks/callback/}
  mkdir -p "$(dirname "$SANDBOX_STATE")"
  # The sandbox tells the app of every change, signed with QBO_WEBHOOK_VERIFIER_TOKEN (its
  # default, read from the app's settings).
  "$PY" manage.py qbo_sandbox --host 127.0.0.1 --port "$SANDBOX_PORT" --state-file "$SANDBOX_STATE" \
    --webhook-url "http://127.0.0.1:$PORT/webhooks/quickbooks/" &
  pids+=($!)
fi
"$PY" manage.py qcluster &
pids+=($!)
"$PY" manage.py runserver "$HOST:$PORT" --noreload &
pids+=($!)

# "Running at" only once the server (and the sandbox) answer; a process that ends first (a
# port taken in the meantime, a broken setting) has said why, and stops the rest.
waited=0
until listening "$HOST" "$PORT" && { ! $local_sandbox || listening 127.0.0.1 "$SANDBOX_PORT"; }; do
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "Distru did not start: a process ended before the server was listening (see above)." >&2
      exit 1
    fi
  done
  if [ "$waited" -ge $((START_TIMEOUT * 5)) ]; then
    echo "Distru did not start: nothing listens on $HOST:$PORT after ${START_TIMEOUT}s." >&2
    exit 1
  fi
  sleep 0.2
  waited=$((waited + 1))
done

echo
echo "  Distru is running at http://$HOST:$PORT/admin/  (Ctrl-C stops everything)"
echo
# The first process to end stops the others.
status=0
wait -n || status=$?
exit "$status"
