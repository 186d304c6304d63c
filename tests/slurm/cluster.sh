#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, from Debian's slurm-wlm and munge, for the
# test that runs the workflow through snakemake-executor-plugin-slurm.
#   cluster.sh start DIR   state in DIR; start munged, slurmctld and slurmd; wait until the node is idle
#   cluster.sh stop DIR    stop them and remove the config
# The config must be SLURM's default /etc/slurm/slurm.conf: the executor plugin's job steps drop
# SLURM_CONF from their environment, as on a real cluster where the config is installed. An
# existing config that this script did not write is never touched. Needs root.
set -euo pipefail
action=$1
dir=$(realpath -m "$2")
SLURM_CONF=/etc/slurm/slurm.conf
MARKER="# written by prunelab tests/slurm/cluster.sh"

start() {
    mkdir -p "$dir"/{state,spool,log,munge}
    local host cpus memory
    host=$(hostname -s)
    cpus=$(nproc)
    memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 2048 ))
    if [ -e "$SLURM_CONF" ] && ! grep -qF "$MARKER" "$SLURM_CONF"; then
        echo "$SLURM_CONF exists and is not ours: refusing to start a test cluster over it" >&2
        return 2
    fi
    mkdir -p "$(dirname "$SLURM_CONF")"
    cat > "$SLURM_CONF" <<CONF
$MARKER
ClusterName=prunelab-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    if [ ! -s /etc/munge/munge.key ]; then
        mkdir -p /etc/munge
        dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
        chmod 400 /etc/munge/munge.key
    fi
    # munged on its default socket, which SLURM's auth/munge plugin uses (reuse one that answers)
    if ! munge -n >/dev/null 2>&1; then
        mkdir -p /run/munge
        munged --force --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" \
            --seed-file="$dir/munge/munged.seed"
    fi
    slurmctld
    slurmd
    for _ in $(seq 60); do
        if sinfo -h -o '%t' 2>/dev/null | grep -q idle; then
            echo "SLURM cluster up ($SLURM_CONF)"
            return 0
        fi
        sleep 1
    done
    echo "SLURM node never became idle:" >&2
    sinfo >&2 || true
    tail -n 20 "$dir"/log/*.log >&2 || true
    return 1
}

stop() {
    for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
        [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
    done
    if [ -e "$SLURM_CONF" ] && grep -qF "$MARKER" "$SLURM_CONF"; then
        rm -f "$SLURM_CONF"
    fi
}

"$action"
