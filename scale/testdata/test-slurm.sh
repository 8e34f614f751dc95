#!/usr/bin/env bash
# End-to-end test of `bench slurm` on a real, single-node Slurm cluster on localhost (Debian's
# slurmctld/slurmd and munge, no systemd, as root): it submits the tiny fixture plan as a job
# array twice (a resubmission while the first runs), waits, and checks that every cell ran
# exactly once and matches a plain local `bench run` of the same plan. Every daemon it starts
# is stopped by PID on exit, failed or not. Run as `make test-slurm` (which builds bin/bench).
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH=$PWD/bin/bench
[ -x "$BENCH" ] || { echo "test-slurm: $BENCH missing (make build)" >&2; exit 1; }
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
T0=$SECONDS
say() { printf 'test-slurm [%3ds]: %s\n' $((SECONDS - T0)) "$*"; }

# --- packages ---------------------------------------------------------------------------------
PKGS="slurmctld slurmd slurm-client munge"
if ! dpkg -s $PKGS >/dev/null 2>&1; then
  say "installing $PKGS"
  $SUDO apt-get update -qq
  # Debian's maintainer scripts try to start the services; without systemd that fails harmlessly.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $PKGS >/dev/null
fi

# --- a private cluster in a temporary directory -------------------------------------------------
T=$(mktemp -d /tmp/bench-slurm.XXXXXX)
chmod 755 "$T" # munged refuses a socket directory others cannot read
PIDS=()        # daemons started here, stopped in reverse order
JOBS=()
cleanup() {
  local rc=$?
  if [ ${#JOBS[@]} -gt 0 ]; then scancel "${JOBS[@]}" 2>/dev/null || true; sleep 1; fi
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill "${PIDS[i]}" 2>/dev/null || true
  done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  if [ $rc -ne 0 ]; then
    echo "test-slurm: FAILED; daemon logs:" >&2
    tail -n 20 "$T"/*.log >&2 2>/dev/null || true
    echo "test-slurm: kept $T" >&2
  else
    rm -rf "$T"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Ports from the PID, so that two runs on one machine do not collide.
PORT=$((20000 + ($$ % 10000) * 2))
mkdir -p "$T/munge" "$T/state" "$T/spool"
chmod 700 "$T/munge"
chmod 755 "$T/state" "$T/spool"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chmod 600 "$T/munge/munge.key"
munged --foreground --force --key-file="$T/munge/munge.key" --socket="$T/munge.socket" \
  --pid-file="$T/munged.pid" --log-file="$T/munged.log" --seed-file="$T/munge/seed" 2>>"$T/munged.log" &
PIDS+=($!)

export SLURM_CONF=$T/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=benchtest
SlurmctldHost=localhost
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge.socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
# Four one-CPU slots whatever the machine has (config_overrides: trust this line, not the
# hardware), so that both arrays run at once and race for the same cells.
SlurmdParameters=config_overrides
NodeName=localhost NodeAddr=127.0.0.1 CPUs=4 RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
for _ in $(seq 50); do [ -S "$T/munge.socket" ] && break; sleep 0.1; done
slurmctld -D -f "$SLURM_CONF" >/dev/null 2>&1 &
PIDS+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >/dev/null 2>&1 &
PIDS+=($!)
for i in $(seq 60); do
  state=$(sinfo -h -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  [ "$i" = 60 ] && { echo "test-slurm: node not idle after 30 s (state: ${state:-none})" >&2; exit 1; }
  sleep 0.5
done
say "cluster up (slurmctld :$PORT)"

# --- the tiny plan, submitted twice ---------------------------------------------------------------
go build -o "$T/mkfixture" ./scale/fixture/mkfixture
CONFIG=$("$T/mkfixture" "$T/fx")
OUT=$T/fx/slurm-results
submit() {
  "$BENCH" slurm -c "$CONFIG" --out "$OUT" --gpus-per-task 0 --cpus-per-task 1 --time 00:10 --max-parallel 2 --submit 2>>"$T/submit.log"
}
JOBS+=("$(submit)")
JOBS+=("$(submit)") # a resubmission of the same plan while the first array runs
N=$(grep -c '"id":' "$OUT/plan.json")
say "submitted arrays ${JOBS[*]} of $N tasks each"
# bench status asks squeue about the tasks of the arrays it submitted.
"$BENCH" status --results "$OUT" | tee "$T/status-early.txt"
grep -Eq '(PENDING|RUNNING) [0-9]+_[0-9]+' "$T/status-early.txt" || { echo "test-slurm: status shows no Slurm task states" >&2; exit 1; }
for i in $(seq 480); do
  left=$(squeue -h -r -j "$(IFS=,; echo "${JOBS[*]}")" 2>/dev/null | wc -l)
  [ "$left" = 0 ] && break
  [ "$i" = 480 ] && { echo "test-slurm: $left tasks still queued after 240 s" >&2; squeue >&2; exit 1; }
  sleep 0.5
done
say "arrays done"
"$BENCH" status --results "$OUT"

# --- checks ------------------------------------------------------------------------------------------
fail() { echo "test-slurm: $*" >&2; exit 1; }
[ "$N" -ge 4 ] || fail "the plan has $N cells"
# Every task of both arrays completed with exit code 0.
for j in "${JOBS[@]}"; do
  bad=$(scontrol -o show job "$j" | grep -v 'JobState=COMPLETED .*ExitCode=0:0' || true)
  [ -z "$bad" ] || fail "job $j has tasks that did not complete cleanly: $bad"
  tasks=$(scontrol -o show job "$j" | grep -c 'JobState=COMPLETED')
  [ "$tasks" = "$N" ] || fail "job $j completed $tasks tasks, want $N"
done
# One result per cell (beside it, KEY.dev.json: its per-example dev statistics), all ok, no
# claim left behind.
result_files=$(ls "$OUT"/cells/*.json | grep -v '\.dev\.json$')
results=$(echo "$result_files" | wc -l)
[ "$results" = "$N" ] || fail "$results result files for $N cells"
devstats=$(ls "$OUT"/cells/*.dev.json | wc -l)
[ "$devstats" = "$N" ] || fail "$devstats dev statistics files for $N cells"
! grep -L '"status": "ok"' $result_files | grep . || fail "cells not ok (above)"
! ls "$OUT"/cells/*.claim 2>/dev/null || fail "claims left behind (above)"
# Each cell was trained by exactly one task: one "ran" line per key over all task logs, and the
# other array's task for that cell skipped it (or waited for it, then skipped it).
ran=$(cat "$OUT"/slurm/*.log | grep -o 'cell [0-9]* [^:]*: ran: ok' | sort)
[ "$(echo "$ran" | wc -l)" = "$N" ] || fail "cells ran $(echo "$ran" | wc -l) times, want $N:"$'\n'"$ran"
[ -z "$(echo "$ran" | uniq -d)" ] || fail "cells ran twice: $(echo "$ran" | uniq -d)"
skipped=$(cat "$OUT"/slurm/*.log | grep -c 'done already; skipped' || true)
[ "$skipped" = "$N" ] || fail "$skipped tasks skipped a done cell, want $N (one per cell, from whichever array came second)"
waited=$(cat "$OUT"/slurm/*.log | grep -c 'held by another worker; waiting' || true)
say "every cell ran exactly once ($N cells; $skipped duplicate tasks skipped, $waited of them after waiting for the holder)"

# The same plan run locally, in one process, gives the same numbers.
"$BENCH" run -c "$CONFIG" --out "$T/fx/local-results" 2>"$T/local.log" || { cat "$T/local.log" >&2; fail "local run failed"; }
"$T/mkfixture" -compare "$OUT" "$T/fx/local-results"
say "passed"
