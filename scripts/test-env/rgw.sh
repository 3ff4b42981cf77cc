#!/usr/bin/env bash
# rgw.sh kill|start|restart: the fault tests' "S3 server crash". Kills only the radosgw that
# start.sh started in TEST_ENV_DIR (SIGKILL: no graceful shutdown), leaving mon and osd up, and
# starts it again with the same ceph.conf; `start` returns once both S3 ports answer.
# Environment: TEST_ENV_DIR, RGW_PORT, RGW_PORT2 (as for start.sh), START_TIMEOUT.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CONF="$DIR/ceph.conf"
PIDFILE="$DIR/run/client.rgw.a.pid"
[[ -f "$DIR/$MARKER" && -f "$CONF" ]] || die "no test environment in $DIR (run start.sh first)"

kill_rgw() {
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  if ours "$pid"; then
    kill -KILL "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  fi
}

start_rgw() {
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  if ! ours "$pid"; then
    setsid radosgw -c "$CONF" -f -n client.rgw.a </dev/null >>"$DIR/log/client.rgw.a.stdout" 2>&1 &
    echo $! >"$PIDFILE"
  fi
  local end=$((SECONDS + START_TIMEOUT))
  until curl -fs -o /dev/null "http://127.0.0.1:$RGW_PORT/" && curl -fs -o /dev/null "http://127.0.0.1:$RGW_PORT2/"; do
    ours "$(cat "$PIDFILE")" || die "radosgw exited during restart (see $DIR/log/client.rgw.a*)"
    ((SECONDS < end)) || die "radosgw did not answer within ${START_TIMEOUT}s"
    sleep 0.1
  done
}

case "${1:-}" in
  kill) kill_rgw ;;
  start) start_rgw ;;
  restart) kill_rgw; start_rgw ;;
  *) die "usage: rgw.sh kill|start|restart" ;;
esac
