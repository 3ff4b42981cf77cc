#!/usr/bin/env bash
# run.sh CMD...: start the local servers (start.sh), export the LOCAL_* variables of
# docs/CONTRACTS.md, run CMD, stop the servers whatever happens, exit with CMD's status.
# If the servers cannot start, run.sh fails: integration tests never skip silently.
# If start.sh finds them already running in TEST_ENV_DIR (started by hand), they are used
# and left running. Same environment variables as start.sh.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/common.sh"
(($#)) || die "usage: scripts/test-env/run.sh CMD [ARGS...]"

already=0
[[ -f "$DIR/$MARKER" && -n "$(running_pids)" ]] && already=1
t0=$(date +%s%N)
# separate assignment: a failing start.sh must stop run.sh, not be hidden by 'export'
env_out="$(bash "$HERE/start.sh")" || { echo "run.sh: the local servers did not start; see the log above" >&2; exit 1; }
ms=$((($(date +%s%N) - t0) / 1000000))
log "start-to-ready: $((ms / 1000)).$(printf %03d $((ms % 1000))) s"
if ((already == 0)); then
  trap 'bash "$HERE/stop.sh"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
fi
set -a
eval "$env_out"
set +a
"$@"
