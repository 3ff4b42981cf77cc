#!/usr/bin/env bash
# Proves the checks catch real mistakes: copies the module to a temp dir, plants
# one break at a time, runs the checks that should catch it (validate.sh with
# VALIDATE_STEPS) and asserts they FAIL with the expected message.
#
#   scripts/terraform/selftest.sh [terraform-dir]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "${1:-$here/../../terraform}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0 skipped=0 cases=0 t0=$(date +%s)

# plant NAME STEPS EDITS STEP:EXPECTED...: applies EDITS (lines "FILE<TAB>FROM<TAB>TO") to
# a fresh copy, runs validate.sh's STEPS on it, and expects it to fail with EVERY
# EXPECTED message (one ok/FAIL line each). Without terraform on PATH only the
# tfcheck expectations are checked; the others are reported as skipped.
plant() {
  local name=$1 steps=$2 edits=$3 copy="$work/case$((++cases))" out rc flat e have_tf; shift 3
  command -v terraform >/dev/null 2>&1 && have_tf=1 || have_tf=0
  if [ $have_tf = 0 ] && [[ " $steps " != *" tfcheck "* ]]; then
    skipped=$((skipped + $#)); echo "  SKIP  $name (terraform not on PATH)"; return
  fi
  rm -rf "$copy"; cp -R "$src" "$copy"
  EDITS=$edits node -e '
    const fs = require("fs");
    for (const line of process.env.EDITS.split("\n").filter(Boolean)) {
      const [file, from, to] = line.split("\t"), f = `${process.argv[1]}/${file}`, s = fs.readFileSync(f, "utf8");
      if (!s.includes(from)) { console.error(`selftest: "${from}" not found in ${file}`); process.exit(1); }
      fs.writeFileSync(f, s.replace(from, to));
    }' "$copy" || { failed=$((failed + $#)); return; }
  out=$(VALIDATE_STEPS=$steps bash "$here/validate.sh" --no-selftest "$copy" 2>&1); rc=$?
  flat=$(tr -s ' \n' '  ' <<<"$out")   # Terraform wraps long messages
  for e in "$@"; do
    if [ "${e%%:*}" != tfcheck ] && [ $have_tf = 0 ]; then
      skipped=$((skipped + 1)); echo "  SKIP  $name: \"${e#*:}\" (terraform not on PATH)"; continue
    fi
    e=${e#*:}
    if [ $rc -ne 0 ] && grep -qF -- "$e" <<<"$flat"; then
      passed=$((passed + 1)); echo "  ok    $name: rejected with \"$e\""
    else
      failed=$((failed + 1)); echo "  FAIL  $name: expected a failure with \"$e\" (exit $rc)"; sed 's/^/        /' <<<"$out"
    fi
  done
}

tab=$'\t'
echo "selftest: planting breaks in copies of $src"
plant "typo'd argument" "tfcheck validate" \
  "queue.tf${tab}fifo_queue                  = true${tab}fifo_queu                   = true" \
  'validate:An argument named "fifo_queu" is not expected here' \
  'tfcheck:an argument or block named "fifo_queu" is not expected here'
# Two independent breaks in one copy: a single terraform test run must report both.
TF_TEST_FILTER=tests/module.tftest.hcl plant "wrong partition + short visibility" test \
  "destination.tf${tab}destination_bucket_arn = \"arn:\${local.destination_partition}:s3:::${tab}destination_bucket_arn = \"arn:aws:s3:::
main.tf${tab}6 * var.replicate_timeout_seconds${tab}2 * var.replicate_timeout_seconds" \
  'test:The destination policy must name only ARNs in the destination partition' \
  "test:The queue's visibility timeout must be at least 6 x the replicate function's timeout"

echo "selftest: $passed passed, $failed failed, $skipped skipped ($(( $(date +%s) - t0 ))s)"
[ "$failed" = 0 ]
