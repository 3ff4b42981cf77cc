#!/usr/bin/env bash
# Start the local servers of the integration tests, all on 127.0.0.1 only:
#  - Ceph RADOS Gateway (the real S3 implementation of Ceph: 1 mon, 1 OSD, radosgw, no mgr,
#    no systemd) playing two AWS partitions: a "source" user in tenant srcpart served on
#    RGW_PORT and a "dest" user in tenant dstpart served on RGW_PORT2. Separate tenants are
#    separate bucket namespaces, so both sides may own a bucket of the same name.
#  - dynalite (DynamoDB in memory, from node_modules) on DYNAMODB_PORT.
#  - fauxqs (SQS in memory, from node_modules) on SQS_PORT.
# Prints the LOCAL_* variables of docs/CONTRACTS.md as KEY=VALUE lines on stdout; logs go to stderr.
#
# Usage: scripts/test-env/start.sh     (then scripts/test-env/stop.sh; or use run.sh CMD...)
# Environment: TEST_ENV_DIR (default <repo>/.test-env), RGW_PORT (7480), RGW_PORT2 (7481),
#   MON_PORT (3301), DYNAMODB_PORT (8000), SQS_PORT (9324), OSD_STORE (bluestore|memstore), START_TIMEOUT (120 s),
#   SKIP_APT=1 (do not install packages).
#
# Needs Debian 12+ or Ubuntu 22.04+ (both ship ceph-mon, ceph-osd, radosgw, ceph-common) and
# installs those packages itself when missing. That needs root: as another user it runs
# apt-get through sudo, or install them once yourself:
#   sudo apt-get update && sudo apt-get install --no-install-recommends ceph-mon ceph-osd radosgw ceph-common curl
# Running it again while the servers are up just prints the variables again.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SOURCE_TENANT=srcpart DEST_TENANT=dstpart
SOURCE_ACCESS_KEY=SOURCEACCESSKEY00001 SOURCE_SECRET_KEY=sourceSecretKey0000000000000000000000001
DEST_ACCESS_KEY=DESTACCESSKEY0000001 DEST_SECRET_KEY=destSecretKey00000000000000000000000000001

# ---------------------------------------------------------------- already running?
if [[ -f "$DIR/$MARKER" && -n "$(running_pids)" ]]; then
  if [[ -f "$DIR/env" ]] && curl -fsS -o /dev/null "http://127.0.0.1:$RGW_PORT/" &&
    curl -sS -o /dev/null "http://127.0.0.1:$DYNAMODB_PORT/" && curl -fsS -o /dev/null "http://127.0.0.1:$SQS_PORT/health"; then
    log "already running in $DIR"
    cat "$DIR/env"
    exit 0
  fi
  die "$DIR holds a half-started or broken environment (PIDs $(running_pids | tr '\n' ' ')); run scripts/test-env/stop.sh"
fi

# ---------------------------------------------------------------- packages
PKGS=(ceph-mon ceph-osd radosgw ceph-common curl)
if [[ "${SKIP_APT:-0}" != 1 ]]; then
  missing=()
  for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    SUDO=()
    if ((EUID != 0)); then
      command -v sudo >/dev/null || die "packages missing (${missing[*]}) and not root: install them as root"
      SUDO=(sudo)
    fi
    t0=$SECONDS
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # update the package lists only when they do not know radosgw, or when the install
    # fails (stale lists pointing at superseded .debs)
    apt-cache show radosgw >/dev/null 2>&1 || "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      { "${SUDO[@]}" apt-get update -qq &&
        "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } ||
      die "apt-get install ${missing[*]} failed"
    log "packages installed in $((SECONDS - t0)) s"
  fi
fi
for b in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph curl node setsid; do
  command -v "$b" >/dev/null || die "$b not found"
done
[[ -f "$TEST_ENV_REPO/node_modules/dynalite/package.json" ]] || die "dynalite is not installed: run npm ci"
[[ -f "$TEST_ENV_REPO/node_modules/fauxqs/package.json" ]] || die "fauxqs is not installed: run npm ci"

# ---------------------------------------------------------------- ports, data dir
for p in RGW_PORT RGW_PORT2 MON_PORT DYNAMODB_PORT SQS_PORT; do
  [[ "${!p}" =~ ^[0-9]+$ ]] || die "$p must be a port number, not '${!p}'"
  port_busy "${!p}" && die "port ${!p} on 127.0.0.1 is already in use ($p); stop its user or set $p to a free port"
done
[[ "$RGW_PORT" != "$RGW_PORT2" ]] || die "RGW_PORT and RGW_PORT2 must differ"
if [[ -e "$DIR" && ! -f "$DIR/$MARKER" ]]; then
  [[ -d "$DIR" && -z "$(ls -A "$DIR")" ]] ||
    die "$DIR exists and was not created by scripts/test-env (no $MARKER); refusing to wipe it: set TEST_ENV_DIR"
fi
rm -rf "$DIR"
mkdir -p "$DIR"/{run,log,mon/a,osd/0,rgw,crash,tmp}
touch "$DIR/$MARKER"
CONF="$DIR/ceph.conf"
export CEPH_CONF="$CONF"
START_TS=$(date +%s%N)

# ---------------------------------------------------------------- on failure
STARTED_OK=0
on_exit() {
  local rc=$?
  [[ "$STARTED_OK" == 1 ]] && return 0
  ((rc)) || rc=1
  log "start failed; stopping what was started. Last lines of the logs in $DIR/log:"
  stop_daemons
  local f
  for f in "$DIR"/log/*; do
    [[ -s "$f" ]] || continue
    echo "==> $f <==" >&2
    tail -n 15 "$f" >&2
  done
  exit "$rc"
}
trap on_exit EXIT

start_daemon() { # name cmd...   stdio to files so that callers' pipes close at once
  local name="$1"; shift
  setsid "$@" </dev/null >>"$DIR/log/$name.stdout" 2>&1 &
  echo $! >"$DIR/run/$name.pid"
}
alive() { ours "$(cat "$DIR/run/$1.pid")"; }
wait_for() { # daemon timeout cmd...   (fails at once if the daemon died)
  local who="$1" end=$((SECONDS + $2)); shift 2
  until "$@" >/dev/null 2>&1; do
    alive "$who" || die "$who exited during startup (see $DIR/log/$who*)"
    ((SECONDS < end)) || die "timed out after ${START_TIMEOUT}s waiting for $who (see $DIR/log/$who*)"
    sleep 0.2
  done
}

# ---------------------------------------------------------------- dynalite (starts in parallel)
start_daemon dynalite node "$TEST_ENV_HERE/dynalite.mjs" "$DYNAMODB_PORT" "$DIR"
start_daemon sqs node "$TEST_ENV_HERE/sqs.mjs" "$SQS_PORT" "$DIR"

# ---------------------------------------------------------------- ceph.conf
if [[ "$OSD_STORE" == memstore ]]; then
  STORE_CONF="osd_objectstore = memstore
memstore_device_bytes = $((${OSD_SIZE_GB:-4} << 30))"
elif [[ "$OSD_STORE" == bluestore ]]; then
  # data in a sparse file next to (not inside) the OSD dir: mkfs turns osd/0/block into a symlink
  STORE_CONF="osd_objectstore = bluestore
bluestore_block_path = $DIR/osd/0.block
bluestore_block_create = true
bluestore_block_size = $((${OSD_SIZE_GB:-20} << 30))
bluestore_block_db_create = false
bluestore_block_wal_create = false
osd_memory_target = 939524096
bluestore_cache_autotune = false
bluestore_cache_size = 134217728
bluestore_fsck_on_mkfs = false"
else
  die "OSD_STORE must be bluestore or memstore"
fi
# A fixed 32-byte key for RGW's testing KMS (test data only, never a real secret).
TEST_KMS_KEY=$(printf 'partition-s3-replicate-test-key!' | base64)

cat >"$CONF" <<EOF
[global]
fsid = $(cat /proc/sys/kernel/random/uuid)
mon_host = v2:127.0.0.1:$MON_PORT
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv6 = false
ms_bind_msgr1 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
run_dir = $DIR/run
crash_dir = $DIR/crash
tmp_dir = $DIR/tmp
log_file = $DIR/log/\$name.log
mon_cluster_log_file = $DIR/log/cluster.log
# one OSD: one replica, few PGs, no autoscaler (that lives in the mgr, which we do not run)
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
mon_max_pg_per_osd = 1000
mon_warn_on_insecure_global_id_reclaim_allowed = false
debug_ms = 0
# commit map changes (OSD boot, each pool radosgw creates) every 0.1 s, not 1 s: start ~13 s -> ~5 s
paxos_propose_interval = 0.1
paxos_min_wait = 0.01

[mon]
mon_data = $DIR/mon/\$id
admin_socket = $DIR/run/\$name.asok

[osd]
osd_data = $DIR/osd/\$id
admin_socket = $DIR/run/\$name.asok
$STORE_CONF
osd_crush_update_on_start = true
osd_op_num_shards = 2
osd_op_num_threads_per_shard = 1

[client]
admin_socket =
# radosgw defaults to ms_mon_client_mode=secure, impossible with auth none: it would never come up
ms_mon_client_mode = crc
rgw_data = $DIR/rgw
rgw_gc_obj_min_wait = 300
rgw_gc_processor_period = 300

[client.rgw.a]
admin_socket = $DIR/run/\$name.asok
# tcp_nodelay: beast writes a response's headers and body separately; with Nagle on, a small body
# waited ~40 ms for the client's delayed ACK of the headers (measured: ListObjectVersions headers
# in 3-16 ms, then the 213-byte body 40-45 ms later; 0.1-0.6 ms with tcp_nodelay). S3 has no such stall.
rgw_frontends = beast endpoint=127.0.0.1:$RGW_PORT endpoint=127.0.0.1:$RGW_PORT2 tcp_nodelay=1
rgw_thread_pool_size = 64
# the SDK sends LocationConstraint=<region> (e.g. us-gov-west-1); RGW only knows "default"
rgw_relaxed_region_enforcement = true
# SSE-KMS over plain HTTP with RGW's built-in "testing" KMS and fixed, throw-away test keys, so
# that SSEKMSKeyId really encrypts and HeadObject reports aws:kms and the key id
rgw_crypt_require_ssl = false
rgw_crypt_s3_kms_backend = testing
rgw_crypt_s3_kms_encryption_keys = alias/aws/s3=$TEST_KMS_KEY test-key=$TEST_KMS_KEY
EOF

# ---------------------------------------------------------------- mon, osd, radosgw
log "starting ceph ($OSD_STORE) in $DIR: mon 127.0.0.1:$MON_PORT, S3 127.0.0.1:$RGW_PORT and :$RGW_PORT2"
monmaptool --create --fsid "$(sed -n 's/^fsid = //p' "$CONF")" --addv a "[v2:127.0.0.1:$MON_PORT]" \
  "$DIR/tmp/monmap" >/dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/tmp/monmap" >>"$DIR/log/mon.a.mkfs" 2>&1 ||
  die "ceph-mon --mkfs failed"
start_daemon mon.a ceph-mon -c "$CONF" -f -i a
wait_for mon.a 30 ceph -c "$CONF" --connect-timeout 3 mon stat

OSD_UUID="$(cat /proc/sys/kernel/random/uuid)"
[[ "$(ceph -c "$CONF" osd new "$OSD_UUID")" == 0 ]] || die "ceph osd new did not give id 0"
ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" >>"$DIR/log/osd.0.mkfs" 2>&1 ||
  die "ceph-osd --mkfs failed"
start_daemon osd.0 ceph-osd -c "$CONF" -f -i 0
osd_up() { ceph -c "$CONF" osd stat 2>/dev/null | grep -q "1 up"; }
wait_for osd.0 60 osd_up

start_daemon client.rgw.a radosgw -c "$CONF" -f -n client.rgw.a
rgw_up() { curl -fsS -o /dev/null "http://127.0.0.1:$RGW_PORT/" && curl -fsS -o /dev/null "http://127.0.0.1:$RGW_PORT2/"; }
wait_for client.rgw.a "$START_TIMEOUT" rgw_up

mkuser() { # uid tenant access secret
  radosgw-admin -c "$CONF" user create --uid="$1" --tenant="$2" --display-name="$1" \
    --access-key="$3" --secret-key="$4" >>"$DIR/log/radosgw-admin.log" 2>&1 || die "radosgw-admin user create $1 failed"
}
mkuser source "$SOURCE_TENANT" "$SOURCE_ACCESS_KEY" "$SOURCE_SECRET_KEY"
mkuser dest "$DEST_TENANT" "$DEST_ACCESS_KEY" "$DEST_SECRET_KEY"

dynamo_up() { curl -sS -o /dev/null "http://127.0.0.1:$DYNAMODB_PORT/"; }
wait_for dynalite 30 dynamo_up
sqs_up() { curl -fsS -o /dev/null "http://127.0.0.1:$SQS_PORT/health"; }
wait_for sqs 30 sqs_up

cat >"$DIR/env" <<EOF
LOCAL_S3_SOURCE_ENDPOINT=http://127.0.0.1:$RGW_PORT
LOCAL_S3_DEST_ENDPOINT=http://127.0.0.1:$RGW_PORT2
LOCAL_S3_SOURCE_REGION=us-east-1
LOCAL_S3_DEST_REGION=us-gov-west-1
LOCAL_S3_SOURCE_ACCESS_KEY_ID=$SOURCE_ACCESS_KEY
LOCAL_S3_SOURCE_SECRET_ACCESS_KEY=$SOURCE_SECRET_KEY
LOCAL_S3_DEST_ACCESS_KEY_ID=$DEST_ACCESS_KEY
LOCAL_S3_DEST_SECRET_ACCESS_KEY=$DEST_SECRET_KEY
LOCAL_S3_SOURCE_TENANT=$SOURCE_TENANT
LOCAL_S3_DEST_TENANT=$DEST_TENANT
LOCAL_DYNAMODB_ENDPOINT=http://127.0.0.1:$DYNAMODB_PORT
LOCAL_SQS_ENDPOINT=http://127.0.0.1:$SQS_PORT
LOCAL_TEST_ENV_DIR=$DIR
EOF
STARTED_OK=1
ms=$((($(date +%s%N) - START_TS) / 1000000))
log "ready in $((ms / 1000)).$(printf %03d $((ms % 1000))) s (servers start to ready)"
cat "$DIR/env"
