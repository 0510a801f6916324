# Sourced by bash: `start_slurm_cluster <dir>` starts a one-node Slurm
# cluster on this machine as children of the calling shell (munged,
# slurmctld, slurmd, each with its key, sockets, state, pid and log files in
# <dir>), waits until the node takes jobs and exports SLURM_CONF for the
# client commands; an EXIT trap stops the daemons. No systemd, no /etc:
# nothing outlives the test or touches the machine's own Slurm or munge.
stop_slurm_cluster() {
  local pid
  for pid in ${slurm_cluster_pids:-}; do kill "$pid" 2>/dev/null || true; done
  for pid in ${slurm_cluster_pids:-}; do wait "$pid" 2>/dev/null || true; done
  slurm_cluster_pids=""
  [ -n "${slurm_socket_dir:-}" ] && rm -rf "$slurm_socket_dir"
  slurm_socket_dir=""
}

# A TCP port nothing listens on now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_slurm_cluster() {
  local dir=$1 node cpus memory ctld_port slurmd_port socket
  mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
  chmod 700 "$dir/munge"
  trap stop_slurm_cluster EXIT
  # A socket path must fit in 108 bytes, which a deep build dir may not.
  slurm_socket_dir=$(mktemp -d /tmp/crinn-munge.XXXXXX)
  chmod 711 "$slurm_socket_dir"
  socket=$slurm_socket_dir/socket
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge/munge.key"
  munged -F -f --socket="$socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" > "$dir/log/munged.out" 2>&1 &
  slurm_cluster_pids="$!"

  node=$(hostname -s)
  cpus=$(slurmd -C | sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' | head -n 1)
  memory=$(slurmd -C | sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' | head -n 1)
  ctld_port=$(free_port)
  slurmd_port=$(free_port)
  cat > "$dir/slurm.conf" <<EOF
ClusterName=crinn-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
# Finished jobs stay visible to scontrol for the test's length (no slurmdbd, so no sacct).
MinJobAge=3600
SchedulerType=sched/backfill
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=crinn Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$dir/slurm.conf
  for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
  slurmctld -D -i -f "$SLURM_CONF" > "$dir/log/slurmctld.out" 2>&1 &
  slurm_cluster_pids="$slurm_cluster_pids $!"
  slurmd -D -f "$SLURM_CONF" -N "$node" > "$dir/log/slurmd.out" 2>&1 &
  slurm_cluster_pids="$slurm_cluster_pids $!"
  for _ in $(seq 300); do
    sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)' && return 0
    sleep 0.2
  done
  echo "the one-node cluster did not come up; its logs:" >&2
  tail -n 20 "$dir"/log/* >&2
  return 1
}
