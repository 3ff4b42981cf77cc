#!/usr/bin/env bash
# Proves the checks catch real mistakes: copies the module to a temp dir, plants
# one break at a time (a typo, an untagged resource, and single wiring and policy
# mistakes), runs the checks that should catch it (validate.sh with VALIDATE_STEPS,
# one test file) and asserts they FAIL with the expected message.
#
#   scripts/terraform/selftest.sh [terraform-dir]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "${1:-$here/../../terraform}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cases=0 t0=$(date +%s)
jobs_max=${SELFTEST_JOBS:-2}   # copies checked at once

# Probe the provider once (validate.sh exports TF_PROVIDER when it runs us), not once per copy.
if [ -z "${TF_PROVIDER:-}" ] && command -v terraform >/dev/null 2>&1; then
  if VALIDATE_STEPS=none bash "$here/validate.sh" --no-selftest "$src" 2>&1 | grep -q 'schema-only stub'; then
    export TF_PROVIDER=stub
  else
    export TF_PROVIDER=real
  fi
fi

# plant NAME STEPS EDITS STEP:EXPECTED...: applies EDITS (lines "FILE<TAB>FROM<TAB>TO") to
# a fresh copy, runs validate.sh's STEPS on it, and expects it to fail with EVERY
# EXPECTED message (one ok/FAIL line each). Without terraform on PATH only the
# tfcheck expectations are checked; the others are reported as skipped. Runs in the
# background (SELFTEST_JOBS at once); report() prints the results in order.
plant() {
  local n=$((++cases))
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
  plant_one "$n" "$@" >"$work/case$n.out" 2>&1 &
}

plant_one() {
  local n=$1 name=$2 steps=$3 edits=$4 copy="$work/case$1" out rc flat e have_tf passed=0 failed=0 skipped=0; shift 4
  command -v terraform >/dev/null 2>&1 && have_tf=1 || have_tf=0
  if [ $have_tf = 0 ] && [[ " $steps " != *" tfcheck "* ]]; then
    echo "0 0 $#" >"$copy.res"; echo "  SKIP  $name (terraform not on PATH)"; return
  fi
  rm -rf "$copy"; cp -R "$src" "$copy"
  if ! EDITS=$edits node -e '
    const fs = require("fs");
    for (const line of process.env.EDITS.split("\n").filter(Boolean)) {
      const [file, from, to] = line.split("\t"), f = `${process.argv[1]}/${file}`, s = fs.readFileSync(f, "utf8");
      if (!s.includes(from)) { console.error(`selftest: "${from}" not found in ${file}`); process.exit(1); }
      fs.writeFileSync(f, s.replace(from, to));
    }' "$copy"; then
    echo "0 $# 0" >"$copy.res"; echo "  FAIL  $name: could not plant the break"; return
  fi
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
  echo "$passed $failed $skipped" >"$copy.res"
}

# report: waits for every plant, prints their lines in order and the totals; exit 1 on any failure.
report() {
  local i p f s passed=0 failed=0 skipped=0
  wait
  for ((i = 1; i <= cases; i++)); do
    cat "$work/case$i.out"
    read -r p f s <"$work/case$i.res" 2>/dev/null || { p=0 f=1 s=0; }
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  done
  echo "selftest: $passed passed, $failed failed, $skipped skipped, $cases breaks ($(( $(date +%s) - t0 ))s)"
  [ "$failed" = 0 ]
}

tab=$'\t'
echo "selftest: planting breaks in copies of $src"
plant "typo'd argument" "tfcheck validate" \
  "queue.tf${tab}fifo_queue                  = true${tab}fifo_queu                   = true" \
  'validate:An argument named "fifo_queu" is not expected here' \
  'tfcheck:an argument or block named "fifo_queu" is not expected here'
plant "untagged resource" tfcheck \
  "functions.tf${tab}  tags                    = local.tags${tab}" \
  'tfcheck:aws_lambda_event_source_mapping.replicate takes tags but sets none'

# Single mistakes in wiring and policies, one per copy; each must fail `terraform test`.
# wiring NAME TEST-FILE FILE FROM TO EXPECTED: plants one edit, runs one test file.
wiring() {
  local name=$1 file=$2; shift 2
  TF_TEST_FILTER=tests/$file plant "$name" test "$1${tab}$2${tab}$3" "test:$4"
}
plant "REPLICATE_SINCE taken before the permission exists" validate \
  "main.tf${tab}    aws_lambda_permission.events,${tab}" \
  'validate:terraform_data.replicate_since must depend on aws_lambda_permission.events'
wiring "rule targets the relay's invoke ARN" module.tftest.hcl events.tf \
  'arn       = aws_lambda_function.relay.arn' 'arn       = aws_lambda_function.relay.invoke_arn' \
  'The rule must target the relay function.'
wiring "rule targets the replicate function" module.tftest.hcl events.tf \
  'arn       = aws_lambda_function.relay.arn' 'arn       = aws_lambda_function.replicate.arn' \
  'Cycle: '   # REPLICATE_SINCE is taken after the target: pointing it at replicate loops
wiring "invoke permission not limited to the rule" module.tftest.hcl events.tf \
  'source_arn     = aws_cloudwatch_event_rule.source.arn' 'source_arn     = aws_sqs_queue.main.arn' \
  "The relay's invoke permission must be limited to the module's rule"
wiring "event source mapping invokes the relay" module.tftest.hcl functions.tf \
  'function_name           = aws_lambda_function.replicate.arn' 'function_name           = aws_lambda_function.relay.arn' \
  'The event source mapping must feed the main queue to the replicate function.'
wiring "event source mapping reads the DLQ" module.tftest.hcl functions.tf \
  'event_source_arn        = aws_sqs_queue.main.arn' 'event_source_arn        = aws_sqs_queue.dlq.arn' \
  'The event source mapping must feed the main queue to the replicate function.'
wiring "relay runs with the replicate role" module.tftest.hcl functions.tf \
  'role                           = aws_iam_role.function["relay"].arn' 'role                           = aws_iam_role.function["replicate"].arn' \
  'Each function must run with its own role.'
wiring "roles trust EventBridge" module.tftest.hcl iam.tf \
  'identifiers = ["lambda.amazonaws.com"]' 'identifiers = ["events.amazonaws.com"]' \
  "The roles' trust policy must let lambda.amazonaws.com assume them"
wiring "both policies on the replicate role" module.tftest.hcl iam.tf \
  'role = aws_iam_role.function[each.key].id' 'role = aws_iam_role.function["replicate"].id' \
  'The relay policy must be attached to the relay role.'
wiring "main queue gets the DLQ's policy" module.tftest.hcl queue.tf \
  'policy    = data.aws_iam_policy_document.tls_only["main"].json' 'policy    = data.aws_iam_policy_document.tls_only["dlq"].json' \
  "The main queue's policy must be its TLS-only document."
wiring "TLS-only statement allows" module.tftest.hcl queue.tf \
  'effect    = "Deny"' 'effect    = "Allow"' \
  "Each queue's TLS-only document must deny every request without TLS on that queue."
wiring "events DLQ open to the relay's ARN" module.tftest.hcl queue.tf \
  'values   = [aws_cloudwatch_event_rule.source.arn]' 'values   = [aws_lambda_function.relay.arn]' \
  "Only the module's rule (through EventBridge) may send to the events DLQ."
wiring "table grant keeps BatchGetItem" module.tftest.hcl iam.tf \
  '"dynamodb:BatchWriteItem"' '"dynamodb:BatchGetItem"' \
  "The replicate function's policy must grant exactly what the code uses"
wiring "every secret readable" module.tftest.hcl iam.tf \
  'resources = [for s in aws_secretsmanager_secret.destination : s.arn]' 'resources = ["*"]' \
  "The replicate function's policy must grant exactly what the code uses"
wiring "secret readable by the relay" module.tftest.hcl secret.tf \
  'concat([aws_iam_role.function["replicate"].arn]' 'concat([aws_iam_role.function["relay"].arn]' \
  "The secret's policy must deny GetSecretValue to every principal but the replicate role."
wiring "secret key without kms:ViaService" china.tftest.hcl iam.tf \
  'values   = ["secretsmanager.${local.source_region}.${data.aws_partition.source.dns_suffix}"]' 'values   = ["secretsmanager.amazonaws.com"]' \
  'In China kms:ViaService must use the source partition'"'"'s DNS suffix'
wiring "DLQ alarm watches the main queue" module.tftest.hcl alarms.tf \
  'dlq = aws_sqs_queue.dlq, events-dlq' 'dlq = aws_sqs_queue.main, events-dlq' \
  'Each alarm must watch its own metric and resource (dimensions).'
wiring "timeouts counted from one log group" module.tftest.hcl alarms.tf \
  'log_group_name = aws_cloudwatch_log_group.function[each.key].name' 'log_group_name = aws_cloudwatch_log_group.function["replicate"].name' \
  "Each function's timeouts must be counted from its own log group."
wiring "dashboard shows the DLQ as pending" module.tftest.hcl dashboard.tf \
  'queue = aws_sqs_queue.main.name' 'queue = aws_sqs_queue.dlq.name' \
  'The dashboard must show objects, bytes, latency, pending and oldest messages'
wiring "enabled switch ignored" module.tftest.hcl events.tf \
  'state       = var.enabled ? "ENABLED" : "DISABLED"' 'state       = "ENABLED"' \
  'enabled = false must turn the rule off'
wiring "module tags win over the caller's" module.tftest.hcl main.tf \
  'merge({ Application = "partition-s3-replicate", Environment = var.environment }, var.tags)' 'merge(var.tags, { Application = "partition-s3-replicate", Environment = var.environment })' \
  "Caller tags must win over the module's, on every taggable resource."
wiring "no source region check" module.tftest.hcl events.tf \
  'condition     = data.aws_s3_bucket.source.bucket_region == local.source_region' 'condition     = data.aws_s3_bucket.source.bucket_region != ""' \
  'The checkable object, aws_cloudwatch_event_rule.source, was expected to report an error but did not.'
wiring "fan-out id from the bucket name" fanout.tftest.hcl main.tf \
  'id                    = k' 'id                    = d.bucket' \
  'DESTINATIONS must hold one entry per destination, its id the map key'
wiring "destination versions listed outside the prefix" destination.tftest.hcl modules/destination/main.tf \
  'for_each = var.prefix == "" ? [] : [var.prefix]' 'for_each = []' \
  'The destination user may only do what the replicate function does'
wiring "destination ARNs in the commercial partition" destination.tftest.hcl modules/destination/main.tf \
  'bucket_arn = "arn:${local.partition}:s3:::${var.bucket}"' 'bucket_arn = "arn:aws:s3:::${var.bucket}"' \
  'The destination user may only do what the replicate function does'
wiring "destination user without force_destroy" destination.tftest.hcl modules/destination/main.tf \
  'force_destroy        = true' 'force_destroy        = false' \
  'The user must be force_destroy'
wiring "two-character name accepted" validations.tftest.hcl variables.tf \
  '^[A-Za-z][A-Za-z0-9-]{2,39}$' '^[A-Za-z][A-Za-z0-9-]{0,39}$' \
  'The checkable object, var.name, was expected to report an error but did not.'
wiring "visibility below 6 x the timeout" module.tftest.hcl main.tf \
  '6 * var.replicate_timeout_seconds' '2 * var.replicate_timeout_seconds' \
  "The queue's visibility timeout must be at least 6 x the replicate function's timeout."
wiring "messages may expire before the DLQ" module.tftest.hcl queue.tf \
  'condition     = var.max_receive_count * local.visibility_timeout_seconds < var.queue_retention_seconds' 'condition     = var.max_receive_count * local.visibility_timeout_seconds > 0' \
  'The checkable object, aws_sqs_queue.main, was expected to report an error but did not.'

report
