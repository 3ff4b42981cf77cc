#!/usr/bin/env bash
# Stop the servers that start.sh started in TEST_ENV_DIR (default <repo>/.test-env), and only
# those: each PID comes from DIR/run/*.pid and is killed only if /proc/PID/cmdline names DIR.
# Then delete DIR, but only if start.sh created it (marker file). Safe to run twice.
# Environment: TEST_ENV_DIR, KEEP_DATA=1 (keep DIR and its logs), STOP_GRACE (2 s before SIGKILL).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ -d "$DIR" ]] || { log "$DIR does not exist, nothing to stop"; exit 0; }
stop_daemons
if [[ "${KEEP_DATA:-0}" == 1 ]]; then
  log "stopped $STOPPED_COUNT process(es); kept $DIR"
elif [[ -f "$DIR/$MARKER" ]]; then
  rm -rf "$DIR"
  log "stopped $STOPPED_COUNT process(es); removed $DIR"
else
  log "stopped $STOPPED_COUNT process(es); $DIR was not created by start.sh, left in place"
fi
