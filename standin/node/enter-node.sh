#!/bin/sh
# STAND-IN NODE for kplay's tests: this is NOT a Kubernetes node and not a container runtime.
#
#   enter-node.sh NODE_DIR NODE_NAME -- COMMAND...      (root only)
#
# Runs COMMAND (normally an sshd of test/support/sshd-lab.ts) as PID 1 of a fresh PID, mount and UTS
# namespace that looks like a kubeadm node at the paths kplay touches. Inside the node:
#   hostname NODE_NAME
#   /etc/kubernetes          <- NODE_DIR/fs/etc/kubernetes          (bind mounts; every other path is the machine's)
#   /var/lib/kubelet         <- NODE_DIR/fs/var/lib/kubelet
#   /var/lib/kube-proxy      <- NODE_DIR/fs/var/lib/kube-proxy
#   /etc/systemd/system      <- NODE_DIR/fs/etc/systemd/system
#   /usr/local/bin           <- NODE_DIR/fs/usr/local/bin          (only the node's binaries: stand-in components,
#                                                                   kubectl, systemctl; they shadow /usr/bin ones)
#   /var/lib/kplay-standin   <- NODE_DIR/fs/var/lib/kplay-standin  (cluster state cluster.json; a symlink to a folder
#                                                                   shared by all nodes of a cluster, or a folder)
#   /var/lib/kplay-standin/journal, /var/lib/kplay-standin/systemd
#                            <- NODE_DIR/fs/var/lib/kplay-standin-node/{journal,systemd}  (node-private state of the
#                                                                   stand-in systemctl, bound over the shared folder)
#   /run/secrets             a node-private tmpfs (the stand-in kubelet's service-account mountpoints)
#   /etc/hosts               <- NODE_DIR/fs/etc/hosts, only if that file exists
# Then it starts the kubelet with the stand-in `systemctl start kubelet` (when the unit exists) and execs COMMAND.
# Mounts use private propagation, so nothing leaks to the machine; killing the outer unshare (--kill-child)
# or COMMAND ends every process of the node. Mountpoints missing on the machine (/etc/kubernetes,
# /var/lib/kubelet, ...) are made inside the node, over an overlay of their parent folder whose writes stay
# in NODE_DIR: nothing on the machine changes.
set -eu

STANDIN_VERSION='kplay stand-in node 0.1 (not Kubernetes)'
PROG=$(basename "$0")

usage() {
  cat <<USAGE
Usage: $PROG NODE_DIR NODE_NAME -- COMMAND...
STAND-IN for kplay's tests: runs COMMAND as PID 1 of a private PID/mount/UTS namespace that looks like a
kubeadm node (see the header of this script for the bind mounts). Root only.
USAGE
}

case "${1:-}" in
  --help | -h) usage; exit 0 ;;
  --version) echo "$STANDIN_VERSION"; exit 0 ;;
esac

MOUNTS='etc/kubernetes var/lib/kubelet var/lib/kube-proxy etc/systemd/system usr/local/bin var/lib/kplay-standin var/lib/etcd'

# KPLAY_STANDIN_NET=ADDRESS/PREFIX gives the node a network namespace of its own: loopback, and a veth
# pair (both ends inside) with that address and the default route, which is all kubeadm needs to pick
# the node's address. Nothing leaves the namespace: the pair's other end is in it too.
NET=${KPLAY_STANDIN_NET:-}

if [ "${1:-}" != --inside ]; then
  if [ $# -lt 4 ] || [ "$3" != -- ]; then usage >&2; exit 2; fi
  if [ "$(id -u)" != 0 ]; then echo "$PROG: must run as root (stand-in node)" >&2; exit 1; fi
  NODE_DIR=$(cd "$1" && pwd -P)
  NODE_NAME=$2
  shift 3
  for m in $MOUNTS; do
    [ -d "$NODE_DIR/fs/$m" ] || mkdir -p "$NODE_DIR/fs/$m"
  done
  SELF=$(cd "$(dirname "$0")" && pwd -P)/$(basename "$0")
  exec unshare --mount --pid --fork --mount-proc --uts ${NET:+--net} --propagation private --kill-child \
    -- /bin/sh "$SELF" --inside "$NODE_DIR" "$NODE_NAME" -- "$@"
fi

# ---- inside the node's namespaces (we are PID 1 here) ----
shift
NODE_DIR=$1
NODE_NAME=$2
shift 3

# A mountpoint the machine lacks (/etc/kubernetes on a machine that never ran Kubernetes) is made
# inside the node only: its parent gets an overlay whose writes land in NODE_DIR/overlay, so the
# machine's own folders never change.
ensure_mountpoint() {
  [ -d "$1" ] && return 0
  ensure_mountpoint "$(dirname "$1")"
  parent=$(dirname "$1")
  key=$(printf '%s' "$parent" | tr / _)
  if [ ! -d "$NODE_DIR/overlay/$key" ]; then
    mkdir -p "$NODE_DIR/overlay/$key/upper" "$NODE_DIR/overlay/$key/work"
    mount -t overlay "kplay-standin$key" -o "lowerdir=$parent,upperdir=$NODE_DIR/overlay/$key/upper,workdir=$NODE_DIR/overlay/$key/work" "$parent"
  fi
  mkdir -p "$1"
}

hostname "$NODE_NAME"
if [ -n "$NET" ]; then
  ip link set lo up
  # Both ends of the pair stay in the node's namespace: the machine's own network never changes.
  ip link add kplay0 type veth peer name kplay1
  ip addr add "$NET" dev kplay0
  ip link set kplay1 up
  ip link set kplay0 up
  ip route add default dev kplay0
fi
for m in $MOUNTS; do
  ensure_mountpoint "/$m"
  mount --bind "$NODE_DIR/fs/$m" "/$m"
done
# Node-private state of the stand-in systemctl, over the (possibly shared) cluster folder.
for d in journal systemd; do
  mkdir -p "$NODE_DIR/fs/var/lib/kplay-standin-node/$d"
  [ -d "/var/lib/kplay-standin/$d" ] || mkdir -p "/var/lib/kplay-standin/$d"
  mount --bind "$NODE_DIR/fs/var/lib/kplay-standin-node/$d" "/var/lib/kplay-standin/$d"
done
ensure_mountpoint /run/secrets
mount -t tmpfs -o mode=0755,size=16m kplay-standin-secrets /run/secrets
# Optional node-private /etc/hosts (so that the node resolves its own name, as sudo expects).
if [ -f "$NODE_DIR/fs/etc/hosts" ]; then
  mount --bind "$NODE_DIR/fs/etc/hosts" /etc/hosts
fi

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
if [ -e /etc/systemd/system/kubelet.service ]; then
  systemctl start kubelet || echo "$PROG: warning: could not start the kubelet of $NODE_NAME" >&2
fi
exec "$@"
