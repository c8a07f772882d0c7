#!/bin/sh
# Two hosts on one machine for MPI runs: network namespaces skein-h1 and skein-h2 joined by a
# veth pair (10.77.0.1 and 10.77.0.2), and an ssh stand-in that "logs in" by entering the
# namespace, so mpirun (started in skein-h1) launches its daemon in skein-h2 as it would over ssh.
# Ranks talk TCP over the veth pair only. Needs root (ip netns).
#
#   bench/two-hosts.sh up | down
#   bench/two-hosts.sh run <program and args>   # mpirun -np 2, one rank per "host"
set -eu
dir=/tmp/skein-two-hosts

up() {
  ip netns list | grep -q '^skein-h1' && return 0
  ip netns add skein-h1
  ip netns add skein-h2
  ip link add skein-v1 type veth peer name skein-v2
  ip link set skein-v1 netns skein-h1
  ip link set skein-v2 netns skein-h2
  ip -n skein-h1 addr add 10.77.0.1/24 dev skein-v1
  ip -n skein-h2 addr add 10.77.0.2/24 dev skein-v2
  for h in 1 2; do ip -n skein-h$h link set skein-v$h up; ip -n skein-h$h link set lo up; done
  mkdir -p $dir
  cat > $dir/rsh <<'RSH'
#!/bin/sh
host=$1; shift
case $host in 10.77.0.1) ns=skein-h1;; 10.77.0.2) ns=skein-h2;; *) echo "two-hosts: unknown host $host" >&2; exit 1;; esac
exec ip netns exec $ns sh -c "$*"
RSH
  chmod +x $dir/rsh
  printf '10.77.0.1 slots=1\n10.77.0.2 slots=1\n' > $dir/hosts
}

case "${1:-}" in
  up) up ;;
  down) ip netns del skein-h1 2>/dev/null || true; ip netns del skein-h2 2>/dev/null || true; rm -rf $dir ;;
  run)
    shift
    up
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    exec ip netns exec skein-h1 mpirun --hostfile $dir/hosts --mca plm_rsh_agent $dir/rsh \
      --mca btl self,tcp --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
      -x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM --bind-to none -np 2 "$@" ;;
  *) echo "usage: $0 up | down | run <program and args>" >&2; exit 2 ;;
esac
