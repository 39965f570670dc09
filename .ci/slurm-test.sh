#!/usr/bin/env bash
# Slurm executor, tested for real: a one-node Slurm cluster on localhost (Debian slurm-wlm + munge),
# the pipeline on the synthetic scene with the tile-parallel hydrology on 4 × 2 = 8 tiles,
#  1. run locally and with --executor slurm: every product must be byte-identical;
#  2. the tiled hydrology must equal `zwilling rain fill` / `rain flow` on the whole DTM (bytes);
#  3. a second Slurm submission with one array task cancelled midway through the chain (scancel JOB_TASK):
#     the job stops, `zwilling status` shows the gap, `--retry-failed` resubmits only what is
#     missing and the products again equal the local run.
# Runs as root (CI). Usage: .ci/slurm-test.sh [work dir]   (ZWILLING=path/to/binary to skip the build)
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
step() { echo; echo "=== slurm: $* ($(( $(date +%s) - start )) s)"; }
fail() { echo "slurm-test FAILED: $*" >&2; exit 1; }

step "packages (slurm-wlm, munge)"
if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
sbatch --version

step "zwilling binary"
if [ -z "${ZWILLING:-}" ]; then
  cargo build --release -q
  ZWILLING=$PWD/target/release/zwilling
fi
ZWILLING=$(readlink -f "$ZWILLING")
W=$(readlink -f "${1:-$(mktemp -d /tmp/zw-slurm.XXXXXX)}")
mkdir -p "$W"
echo "work dir $W"

step "one-node cluster on localhost"
host=$(hostname -s)
cpus=$(nproc)
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=zwci
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
MinJobAge=3600
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
[ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; }
chown munge:munge /etc/munge/munge.key /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
chmod 400 /etc/munge/munge.key
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for _ in $(seq 60); do
  sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && break
  scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
  sleep 1
done
sinfo
sinfo -h -o %T | grep -qE '^(idle|mixed|allocated)' || { tail -20 /var/log/slurm/*.log; fail "the node did not come up"; }

step "synthetic scene and pipelines"
[ -f "$W/scene/scene.laz" ] || "$ZWILLING" -q synth -o "$W/scene" --no-images
pipeline() { # $1 = output folder
  cat <<TOML
[input]
clouds = ["$W/scene/scene.laz"]
[output]
dir = "$1"
[ground]
[grid]
res = 0.5
products = ["dtm", "dsm"]
TOML
}
pipeline "$W/local" > "$W/local.toml"
pipeline "$W/slurm" > "$W/slurm.toml"
pipeline "$W/retry" > "$W/retry.toml"
rm -rf "$W/local" "$W/slurm" "$W/retry"
TILES=4x2

step "local run"
t0=$(date +%s.%N)
"$ZWILLING" -q run "$W/local.toml" --hydro-tiles $TILES
t1=$(date +%s.%N)
echo "local: $(echo "$t1 - $t0" | bc) s"

step "slurm run (job arrays, one task per tile)"
"$ZWILLING" run "$W/slurm.toml" --executor slurm --hydro-tiles $TILES --cpus-per-task 1 --time 10:00 --wait
t2=$(date +%s.%N)
echo "slurm: $(echo "$t2 - $t1" | bc) s"
"$ZWILLING" status "$W/slurm"

compare() { # $1 = output folder
  for f in ground/scene.laz rasters/dtm.tif rasters/dsm.tif hydro/filled.tif hydro/d8.tif hydro/accumulation.tif; do
    cmp "$W/local/$f" "$1/$f" || fail "$1/$f differs from the local run"
  done
  echo "$1: 6 products byte-identical to the local run"
}
compare "$W/slurm"

step "tiled hydrology vs single-machine rain fill / rain flow"
"$ZWILLING" -q rain fill --dem "$W/local/rasters/dtm.tif" -o "$W/ref-filled.tif"
"$ZWILLING" -q rain flow --dem "$W/local/rasters/dtm.tif" -o "$W/ref-paths.geojson" \
  --accumulation-tif "$W/ref-acc.tif" --direction-tif "$W/ref-d8.tif"
cmp "$W/ref-filled.tif" "$W/slurm/hydro/filled.tif" || fail "tiled fill differs from rain fill"
cmp "$W/ref-acc.tif" "$W/slurm/hydro/accumulation.tif" || fail "tiled accumulation differs from rain flow"
cmp "$W/ref-d8.tif" "$W/slurm/hydro/d8.tif" || fail "tiled D8 differs from rain flow"
echo "tiled fill, D8 and accumulation on 8 tiles byte-identical to the single-machine run"

step "kill one array task midway, then --retry-failed"
"$ZWILLING" run "$W/retry.toml" --executor slurm --hydro-tiles $TILES --cpus-per-task 1
ids=$(python3 -c "import json,sys; print(' '.join(j['job_id'] for j in json.load(open(sys.argv[1]))))" "$W/retry/.slurm/jobs.json")
# Array task 5 of the fill-final stage is cancelled while the chain runs (it waits on its
# dependency at that moment, so the test does not depend on timing; Slurm records it CANCELLED
# exactly like a task killed while running, and afterok can then never be met).
job=$(python3 -c "import json,sys; print([j['job_id'] for j in json.load(open(sys.argv[1])) if j['stage']=='hydro/fill-final'][0])" "$W/retry/.slurm/jobs.json")
victim="${job}_5"
scancel "$victim"
echo "cancelled array task $victim"
for _ in $(seq 300); do  # the chain stops: later jobs wait on a dependency that can never be met
  squeue -h -o '%T %r' -j "${ids// /,}" | grep -qvE 'PENDING DependencyNeverSatisfied' || break
  sleep 1
done
squeue -j "${ids// /,}" || true
"$ZWILLING" status "$W/retry"
if [ -f "$W/retry/hydro/filled.tif" ]; then fail "the chain went on after a cancelled task"; fi
"$ZWILLING" run "$W/retry.toml" --executor slurm --hydro-tiles $TILES --cpus-per-task 1 --retry-failed --wait
"$ZWILLING" status "$W/retry"
compare "$W/retry"

step "done: slurm executor OK"
