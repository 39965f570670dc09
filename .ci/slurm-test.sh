#!/usr/bin/env bash
# Slurm executor, tested for real: a private one-node Slurm cluster on localhost (Debian slurm-wlm +
# munge; its own munged socket, config, ports and state, so a system Slurm is neither used nor
# touched), the pipeline on the synthetic scene with the tile-parallel hydrology on 4 × 2 = 8 tiles
# (`--hydro-mosaic both`: tile COGs, VRTs and whole-grid COGs) and the rain simulation in 4 catchment
# groups merged on 2 × 2 tiles:
#  1. run locally and with --executor slurm: every product must be byte-identical;
#  2. the tiled hydrology must equal `zwilling rain fill` / `rain flow` on the whole DTM (bytes);
#  3. a second Slurm submission; while its chain runs, array task 5 of the hydro/fill-final stage
#     is cancelled (scancel JOB_5): the chain stops, `zwilling status` lists the failed task with
#     its log, `--retry-failed` resubmits only what is missing and the products equal the local run.
# Runs as root (CI), from any clone; can run repeatedly; stops the daemons it started on exit.
# Usage: .ci/slurm-test.sh [work dir]   (ZWILLING=path/to/binary to skip the build;
#        ZW_SLURM_PORTS="6817 6818" to choose the slurmctld/slurmd ports)
# Also: .ci/slurm-test.sh cluster-up    starts only the cluster, leaves it running and prints
#       `export SLURM_CONF=…` (for benches/compare/slurm_overhead.sh);
#       .ci/slurm-test.sh cluster-down  stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
step() { echo >&2; echo "=== slurm: $* ($(( $(date +%s) - start )) s)" >&2; }
fail() { echo "slurm-test FAILED: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "run as root (the test starts munged, slurmctld and slurmd)"

C=/tmp/zw-slurm-cluster  # daemon state; fixed so that a run killed before its cleanup is found
stop_daemons() {       # stops what an earlier or this run started (pid files below $C only)
  for pidfile in "$C/slurmd.pid" "$C/slurmctld.pid" "$C/munge/munged.pid"; do
    [ -s "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
    case "$comm" in slurmd|slurmctld|munged) ;; *) rm -f "$pidfile"; continue ;; esac
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

start_cluster() {
  step "packages (slurm-wlm, munge)"
  if ! command -v slurmctld >/dev/null 2>&1 || ! command -v slurmd >/dev/null 2>&1 \
    || ! command -v munged >/dev/null 2>&1 || ! command -v sbatch >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
  fi
  dpkg-query -W -f '${Package} ${Version}\n' slurmctld slurmd slurm-client munge

  step "one-node cluster on localhost"
  stop_daemons
  rm -rf "$C"
  mkdir -p "$C/munge" "$C/state" "$C/spool" "$C/log"
  chmod 755 "$C" "$C/munge"
  host=$(hostname -s)
  read -r ctld_port slurmd_port <<< "${ZW_SLURM_PORTS:-16817 16818}"
  for p in $ctld_port $slurmd_port; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      fail "port $p is in use (another Slurm?): set ZW_SLURM_PORTS=\"CTLD SLURMD\""
    fi
  done
  # munged with its own key and socket.
  dd if=/dev/urandom bs=1 count=1024 of="$C/munge/munge.key" 2>/dev/null
  chmod 400 "$C/munge/munge.key"
  /usr/sbin/munged --force --socket="$C/munge/munge.sock" --key-file="$C/munge/munge.key" \
    --log-file="$C/munge/munged.log" --pid-file="$C/munge/munged.pid" --seed-file="$C/munge/munged.seed"
  # sched_interval/bf_interval 1 s: a job array whose dependency was met starts within a second
  # (Slurm's defaults, 60 s and 30 s, left the 13-array chain idle ~5 s per link: 82 s for ~8 s of work).
  cat > "$C/slurm.conf" <<CONF
ClusterName=zwci
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$C/munge/munge.sock
StateSaveLocation=$C/state
SlurmdSpoolDir=$C/spool
SlurmctldPidFile=$C/slurmctld.pid
SlurmdPidFile=$C/slurmd.pid
SlurmctldLogFile=$C/log/slurmctld.log
SlurmdLogFile=$C/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SchedulerParameters=sched_min_interval=100000,sched_interval=1,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=3600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$C/slurm.conf
  slurmctld
  slurmd
  for _ in $(seq 60); do
    sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && break
    sleep 1
  done
  sinfo
  sinfo -h -o %T | grep -qE '^(idle|mixed|allocated)' || { tail -n 20 "$C"/log/*.log; fail "the node did not come up"; }
  sbatch --version
}

case "${1:-}" in
  cluster-up) start_cluster >&2; echo "export SLURM_CONF=$C/slurm.conf"; exit 0 ;;
  cluster-down) stop_daemons; exit 0 ;;
esac
trap 'stop_daemons' EXIT
start_cluster

# ---------------------------------------------------------------------------------------------
step "zwilling binary"
if [ -z "${ZWILLING:-}" ]; then
  cargo build --release -q
  ZWILLING=$PWD/target/release/zwilling
fi
ZWILLING=$(readlink -f "$ZWILLING")
[ -x "$ZWILLING" ] || fail "no zwilling binary at $ZWILLING"
W=$(readlink -f "${1:-$(mktemp -d /tmp/zw-slurm.XXXXXX)}")
mkdir -p "$W"
echo "binary $ZWILLING, work dir $W"

# ---------------------------------------------------------------------------------------------
step "synthetic scene and pipelines"
# GeoPackages stamp gpkg_contents.last_change with the time of writing; a fixed SOURCE_DATE_EPOCH
# (exported to the Slurm jobs too) makes rain.gpkg comparable byte for byte.
export SOURCE_DATE_EPOCH=1700000000
[ -f "$W/scene/scene.laz" ] || "$ZWILLING" -q synth -o "$W/scene" --no-images --length 120
pipeline() { # $1 = output folder, $2 = "full" for road and rain too
  cat <<TOML
[input]
clouds = ["$W/scene/scene.laz"]
trajectory = "$W/scene/trajectory.csv"
[output]
dir = "$1"
[ground]
[grid]
res = 0.5
products = ["dtm", "dsm"]
TOML
  # road, then a short simulation on the 2 m rain DTM (made by the grid task with the other
  # rasters), decomposed into 4 catchment groups on 2 × 2 tiles: the tiled hydrology of the rain
  # DTM (8 arrays: 4 tasks per tile stage, 1 per global stage), the tiled partition (pass: 4,
  # solve: 1, labels: 4), the groups (one array of 4 tasks), the merge tile by tile (one array of
  # 2 × 2 tasks) and the mosaic (1 task); no task reads the whole rain DTM — docs/cluster.md,
  # "The 2D rain simulation on a cluster"
  [ "${2:-}" != full ] || printf '[road]\n[rain]\nres = 2\ngroups = 4\ntiles = "2x2"\nargs = ["--minutes", "10"]\n'
}
pipeline "$W/local" full > "$W/local.toml"
pipeline "$W/slurm" full > "$W/slurm.toml"
pipeline "$W/retry" > "$W/retry.toml"
for run in local slurm retry; do
  rm -rf "${W:?}/$run"
done
TILES=4x2
# per-tile COGs + VRTs and the whole-grid COGs of the hydrology: both are compared
HYDRO=(--hydro-tiles $TILES --hydro-mosaic both)
secs() { echo "$(( $(date +%s%N) / 1000000 ))"; }

step "local run"
t0=$(secs)
"$ZWILLING" -q run "$W/local.toml" "${HYDRO[@]}"
t1=$(secs)
echo "local: $(( t1 - t0 )) ms"
"$ZWILLING" -q run "$W/local.toml" --check "${HYDRO[@]}" | awk '{print $1}' | paste -sd' ' | fold -w 110

step "slurm run (job arrays, one task per tile)"
"$ZWILLING" run "$W/slurm.toml" --executor slurm "${HYDRO[@]}" --cpus-per-task 1 --time 10:00 --wait
t2=$(secs)
echo "slurm: $(( t2 - t1 )) ms"
"$ZWILLING" status "$W/slurm"

compare() { # $1 = output folder
  n=0
  for f in ground/scene.laz rasters/dtm.tif rasters/dsm.tif hydro/{filled,d8,accumulation}.{tif,vrt} \
    $(cd "$W/local" && ls hydro/tiles/*.tif); do
    [ -f "$1/$f" ] || fail "$1/$f is missing"
    cmp "$W/local/$f" "$1/$f" || fail "$1/$f differs from the local run"
    n=$((n + 1))
  done
  [ "$n" -ge $((9 + 3 * 8)) ] || fail "expected the 24 hydrology tile COGs, compared $n files"
  echo "$1: $n products (the hydrology as whole-grid COGs, VRTs and 24 tile COGs) byte-identical to the local run"
}
compare "$W/slurm"
n=0
for f in rasters/dtm_rain_2m.tif rain/partition/groups.vrt rain/{max_depth,max_velocity,time_of_max,flow_dir}.vrt \
  rain/mass_balance.json rain/rain.gpkg $(cd "$W/local" && ls rain/tiles/*.tif rain/partition/tiles/groups-*.tif \
  rain/hydro/tiles/*.f32 rain/hydro/tiles/*.u8 rain/hydro/tiles/*.f64); do
  [ -f "$W/slurm/$f" ] || fail "$W/slurm/$f is missing"
  cmp "$W/local/$f" "$W/slurm/$f" || fail "$W/slurm/$f differs from the local run"
  n=$((n + 1))
done
# 8 files, 4 label tiles, 3 × 4 raw hydrology tiles of the rain DTM, ≥ 4 products × 4 merged tiles
[ "$n" -ge $((8 + 4 + 3 * 4 + 4 * 4)) ] || fail "expected the label, hydrology and merged rain tiles, compared $n files"
[ ! -e "$W/slurm/rain/partition/groups.tif" ] || fail "the tiled partition wrote a whole-DTM label raster"
echo "$W/slurm: rain DTM (a product of the grid task), the rain DTM's tiled hydrology, the catchment group tiles, the merged simulation tiles, VRTs, layers and mass balance ($n files) byte-identical to the local run"

step "tiled hydrology vs single-machine rain fill / rain flow"
"$ZWILLING" -q rain fill --dem "$W/local/rasters/dtm.tif" -o "$W/ref-filled.tif"
"$ZWILLING" -q rain flow --dem "$W/local/rasters/dtm.tif" -o "$W/ref-paths.geojson" \
  --accumulation-tif "$W/ref-acc.tif" --direction-tif "$W/ref-d8.tif"
cmp "$W/ref-filled.tif" "$W/slurm/hydro/filled.tif" || fail "tiled fill differs from rain fill"
cmp "$W/ref-acc.tif" "$W/slurm/hydro/accumulation.tif" || fail "tiled accumulation differs from rain flow"
cmp "$W/ref-d8.tif" "$W/slurm/hydro/d8.tif" || fail "tiled D8 differs from rain flow"
echo "tiled fill, D8 and accumulation on 8 tiles byte-identical to the single-machine run"

# ---------------------------------------------------------------------------------------------
step "cancel one array task midway, then --retry-failed"
"$ZWILLING" run "$W/retry.toml" --executor slurm "${HYDRO[@]}" --cpus-per-task 1
jobs_json="$W/retry/.slurm/jobs.json"
stage_job() { python3 -c "import json,sys; print([j['job_id'] for j in json.load(open(sys.argv[1])) if j['stage']==sys.argv[2]][0])" "$jobs_json" "$1"; }
ids=$(python3 -c "import json,sys; print(','.join(j['job_id'] for j in json.load(open(sys.argv[1]))))" "$jobs_json")
job=$(stage_job hydro/fill-final)
victim="${job}_5"
# Midway: once the chain has reached the tile-parallel hydrology (the fill-pass array runs or has
# run), array task 5 of fill-final (pending on its dependency, or already running) is cancelled.
# A running task ends CANCELLED; a pending one leaves its array without a Slurm record, which
# `zwilling status` reports as CANCELLED. Either way the array's afterok can never be met.
fill_pass=$(stage_job hydro/fill-pass)
for _ in $(seq 600); do
  squeue -h -j "$fill_pass" -t RUNNING -o %i | grep -q . && break
  squeue -h -j "$fill_pass" -o %i | grep -q . || break  # already ended
  sleep 0.2
done
squeue -h -j "$job" -o '%i %T %r' | head -n 3
scancel "$victim"
echo "cancelled array task $victim"
# The chain stops: the next array waits on a dependency that can never be met, the ones after it
# on that one; `zwilling status` counts them as blocked and nothing as queued or running.
for _ in $(seq 300); do
  "$ZWILLING" status "$W/retry" | grep -q ', 0 queued or running$' && break
  sleep 1
done
squeue -j "$ids" | head -n 12 || true
status=$("$ZWILLING" status "$W/retry")
echo "$status"
echo "$status" | grep -q "hydro/fill-final/5 .*CANCELLED" || fail "status does not list the cancelled task"
[ ! -f "$W/retry/hydro/filled.tif" ] || fail "the chain went on after a cancelled task"
"$ZWILLING" run "$W/retry.toml" --executor slurm "${HYDRO[@]}" --cpus-per-task 1 --retry-failed --wait
"$ZWILLING" status "$W/retry"
compare "$W/retry"

step "done: slurm executor OK"
