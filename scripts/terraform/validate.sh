#!/usr/bin/env bash
# Checks the Terraform module (what `make validate` runs).
#
#   scripts/terraform/validate.sh [--no-selftest] [terraform-dir]
#
# 1. tfcheck.js: offline schema check of the module, its submodules and each example
#    (node only), and that every taggable resource sets tags.
# 2. docs.js --check: the READMEs' variables/outputs tables are up to date.
# 3. With terraform on PATH: fmt -check, validate (module through a generated
#    caller, each submodule and example), the REPLICATE_SINCE ordering in
#    `terraform graph`, terraform test (mock providers). The AWS provider is
#    the real one when `terraform init` can fetch it, else the schema-only stub
#    in stub-provider/ (dev_overrides, no init). TF_PROVIDER=stub|real forces it.
# 4. selftest.sh: broken copies of the module must fail these checks.
#
# Everything runs on a copy of the tree in a temp dir: nothing is written into the repo.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
selftest=1
[ "${1:-}" = "--no-selftest" ] && { selftest=0; shift; }
src=$(cd "${1:-$here/../../terraform}" && pwd)
export NODE_PATH="$here/../../node_modules${NODE_PATH:+:$NODE_PATH}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -R "$src" "$work/tf"
rm -rf "$work/tf/.terraform" "$work/tf"/examples/*/.terraform
tf="$work/tf"
passed=0 failed=0 failures=()
t0=$(date +%s)

# check STEP NAME CMD...: runs CMD (unless VALIDATE_STEPS leaves STEP out),
# prints its output only when it fails.
check() {
  local step=$1 name=$2 t out; shift 2
  case " ${VALIDATE_STEPS:-tfcheck docs fmt validate test} " in *" $step "*) ;; *) return 0 ;; esac
  t=$(date +%s%N)
  if out=$("$@" 2>&1); then
    passed=$((passed + 1)); printf '  ok    %-44s %5.1fs\n' "$name" "$(( ($(date +%s%N) - t) / 1000000 ))e-3"
  else
    failed=$((failed + 1)); failures+=("$name")
    printf '  FAIL  %-44s %5.1fs\n' "$name" "$(( ($(date +%s%N) - t) / 1000000 ))e-3"
    printf '%s\n' "$out" | grep -v -e 'Provider development overrides are in effect' | sed 's/^/        /'
  fi
}

echo "validate: $src"
check tfcheck "tfcheck (module, submodules, examples)" node "$here/tfcheck.js" "$tf" "$tf"/modules/*/ "$tf"/examples/*/
check docs "README variables/outputs table" node "$here/docs.js" --check "$tf"
for mod in "$tf"/modules/*/; do check docs "README table modules/$(basename "$mod")" node "$here/docs.js" --check "$mod"; done

if ! command -v terraform >/dev/null 2>&1; then
  echo
  echo "!!! validate: terraform is NOT on PATH: fmt, validate and terraform test were NOT run;"
  echo "!!! only the offline schema check (tfcheck) and the README check ran."
  echo
else
  export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
  export TF_CLI_CONFIG_FILE="$work/terraformrc" TF_PLUGIN_CACHE_DIR="$work/plugins"
  mkdir -p "$TF_PLUGIN_CACHE_DIR"
  : > "$TF_CLI_CONFIG_FILE"
  # Which AWS provider: the real one if `terraform init` can fetch it quickly.
  mode=${TF_PROVIDER:-}
  if [ -z "$mode" ]; then
    t=$(date +%s)
    mkdir -p "$work/probe"
    printf 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = ">= 6.0, < 7.0" }\n  }\n}\n' > "$work/probe/main.tf"
    if (cd "$work/probe" && TF_DATA_DIR="$work/probe/.tfdata" TF_REGISTRY_CLIENT_TIMEOUT=5 \
        timeout 60 terraform init -backend=false -input=false -no-color >/dev/null 2>&1); then mode=real; else mode=stub; fi
    echo "validate: provider probe (terraform init) took $(( $(date +%s) - t ))s"
  fi
  export TF_PROVIDER=$mode   # selftest.sh reuses the answer
  if [ "$mode" = stub ]; then
    echo "validate: AWS provider = schema-only stub ($(node -e 'console.log(require("zlib").gunzipSync(require("fs").readFileSync(process.argv[1])).toString().match(/"generated_from":\s*"([^"]*)"/)?.[1] || "?")' "$here/aws-schema.json.gz")); provider-side checks (enums, ConflictsWith) not covered"
    printf 'provider_installation {\n  dev_overrides {\n    "hashicorp/aws" = "%s"\n  }\n  direct {}\n}\n' "$here/stub-provider/bin" > "$TF_CLI_CONFIG_FILE"
    # The stub speaks plain gRPC on a unix socket; it serves the part of the
    # schema the tree names (stub-provider/subset.js) and caches the encoded response.
    export TF_DISABLE_PLUGIN_TLS=1 TFSTUB_SCHEMA="$work/aws-schema.json" TFSTUB_CACHE_DIR="$work"
    node "$here/stub-provider/subset.js" "$here/aws-schema.json.gz" "$tf" "$TFSTUB_SCHEMA"
  else
    echo "validate: AWS provider = the real one (terraform init)"
  fi

  # tfrun DIR ARGS...: terraform in DIR with its own temp data dir; with the
  # real provider, `init` first (modules + provider from the shared cache).
  tfrun() {
    local dir=$1; shift
    export TF_DATA_DIR="$dir/.terraform"
    if [ "$mode" = real ]; then
      [ -d "$TF_DATA_DIR" ] || (cd "$dir" && terraform init -backend=false -input=false -no-color >/dev/null) || return 1
    elif [ ! -d "$TF_DATA_DIR" ] && grep -qs '^module ' "$dir"/*.tf; then
      (cd "$dir" && terraform get -no-color >/dev/null) || return 1   # local modules only; no registry
    fi
    (cd "$dir" && terraform "$@" -no-color)
  }

  # REPLICATE_SINCE is taken once events flow: terraform_data.replicate_since must come after
  # the rule's target, the relay's invoke permission and the bucket's EventBridge switch.
  since_order() {
    local g dep since='"module.under_test.terraform_data.replicate_since"'
    g=$(tfrun "$work/caller" graph) || return 1
    for dep in aws_cloudwatch_event_target.relay aws_lambda_permission.events aws_s3_bucket_notification.source; do
      grep -qF "$since -> \"module.under_test.$dep\"" <<<"$g" || { echo "terraform_data.replicate_since must depend on $dep: REPLICATE_SINCE is taken once events reach the queue"; return 1; }
    done
  }

  check fmt "terraform fmt -check" terraform fmt -check -recursive -diff "$tf"
  node "$here/make-harness.js" "$tf" "$work/caller" >/dev/null 2>&1 || mkdir -p "$work/caller"
  check validate "terraform validate (module via a caller)" tfrun "$work/caller" validate
  check validate "REPLICATE_SINCE after the relay side (graph)" since_order
  for mod in "$tf"/modules/*/; do check validate "terraform validate modules/$(basename "$mod")" tfrun "${mod%/}" validate; done
  for ex in "$tf"/examples/*/; do check validate "terraform validate examples/$(basename "$ex")" tfrun "${ex%/}" validate; done
  check test "terraform test (mock providers)" tfrun "$tf" test ${TF_TEST_FILTER:+-filter="$TF_TEST_FILTER"}
fi

echo "validate: $passed passed, $failed failed ($(( $(date +%s) - t0 ))s)"
if [ "$selftest" = 1 ]; then
  bash "$here/selftest.sh" "$src" || failed=$((failed + 1))
fi
[ "$failed" = 0 ] || { echo "validate: FAILED ${failures[*]:-selftest}"; exit 1; }
