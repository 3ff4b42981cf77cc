# Settings and helpers shared by start.sh, stop.sh and run.sh (sourced, not run).
# Every setting can be overridden from the environment, so that several people can run
# suites on one machine at once: give each run its own TEST_ENV_DIR and ports.

TEST_ENV_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TEST_ENV_REPO="$(cd "$TEST_ENV_HERE/../.." && pwd)"
DIR="${TEST_ENV_DIR:-$TEST_ENV_REPO/.test-env}"
RGW_PORT="${RGW_PORT:-7480}"         # source partition's S3 endpoint
RGW_PORT2="${RGW_PORT2:-7481}"       # destination partition's S3 endpoint (same gateway)
MON_PORT="${MON_PORT:-3301}"         # ceph monitor (msgr2); the OSD picks free ports in 6800-7300
DYNAMODB_PORT="${DYNAMODB_PORT:-8000}"
SQS_PORT="${SQS_PORT:-9324}"          # fauxqs (SQS)
OSD_STORE="${OSD_STORE:-bluestore}"  # or memstore (faster start, but keeps ~2x the data in RAM)
START_TIMEOUT="${START_TIMEOUT:-120}"
STOP_GRACE="${STOP_GRACE:-1}"        # seconds between SIGTERM and SIGKILL: the data is throw-away
MARKER=.created-by-test-env          # start.sh wipes and stop.sh deletes only dirs holding it
DAEMONS=(sqs dynalite client.rgw.a osd.0 mon.a) # stop order

log() { echo "[test-env $(date +%H:%M:%S)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Absolute path without requiring the directory to exist yet.
case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac
DIR="${DIR%/}"

# True if PID is alive and is one of ours: its command line names this DIR's ceph.conf
# (ceph daemons) or this DIR as a whole argument (dynalite and fauxqs launchers).
ours() {
  [[ "$1" =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null &&
    tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | grep -qxF -e "$DIR/ceph.conf" -e "$DIR"
}

# PIDs of our daemons that are still running.
running_pids() {
  local n f pid
  for n in "${DAEMONS[@]}"; do
    f="$DIR/run/$n.pid"
    [[ -f "$f" ]] || continue
    pid="$(cat "$f")"
    if ours "$pid"; then echo "$pid"; fi
  done
}

# Stop our daemons (TERM, then KILL after STOP_GRACE) and remove their PID files.
stop_daemons() {
  local pids=() n f pid
  for n in "${DAEMONS[@]}"; do
    f="$DIR/run/$n.pid"
    [[ -f "$f" ]] || continue
    pid="$(cat "$f")"
    if ours "$pid"; then kill -TERM "$pid" 2>/dev/null && pids+=("$pid"); fi
    rm -f "$f"
  done
  local deadline=$((SECONDS + STOP_GRACE))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do # gone before their files are deleted
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  STOPPED_COUNT=${#pids[@]}
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
