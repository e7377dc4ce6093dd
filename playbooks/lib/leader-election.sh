#!/bin/sh
# leader-election.sh check|report COMPONENT HOSTNAME SECONDS KUBECTL KUBECONFIG -- FLAG...
# Who holds the leader lock of a kube-scheduler or kube-controller-manager, read on the controller
# with KUBECTL (and KUBECONFIG, when not empty). FLAG... are the component's flags: they name the lock
# (--leader-elect-resource-lock/-name/-namespace; 1.20's default endpointsleases keeps an Endpoints
# and a Lease record, the Lease is read). The record is sampled every 2 s for up to SECONDS, until its
# holder is seen renewing it. Holders on this node are named HOSTNAME_<uuid> (os.Hostname()).
#   check:  exits 1 when an instance elsewhere holds the lock and renews it (a second active instance
#           with --leader-elect=false would act beside it); else prints who holds it.
#   report: prints who holds it; a line starting "warning:" when another instance keeps it, since the
#           debug build then waits as a standby and code only the leader runs is not reached.
set -u
mode=$1 component=$2 host=$3 seconds=$4 kubectl=$5 kubeconfig=$6
shift 7
here=$(dirname -- "$0")
flag() { name=$1 default=$2; shift 2; sh "$here/flag-value.sh" "$name" "$default" -- "$@"; }
elect=$(flag leader-elect true "$@")
lock=$(flag leader-elect-resource-lock endpointsleases "$@")
ns=$(flag leader-elect-resource-namespace kube-system "$@")
name=$(flag leader-elect-resource-name "$component" "$@")
where="$ns/$name"

k() {
  if [ -n "$kubeconfig" ]; then "$kubectl" --kubeconfig "$kubeconfig" "$@"; else "$kubectl" "$@"; fi
}

# "HOLDER RENEWTIME", or nothing while no one holds it.
record() {
  case $lock in
    *leases) k -n "$ns" get lease "$name" --ignore-not-found -o 'jsonpath={.spec.holderIdentity}{" "}{.spec.renewTime}' ;;
    endpoints | configmaps)
      k -n "$ns" get "$lock" "$name" --ignore-not-found -o 'jsonpath={.metadata.annotations.control-plane\.alpha\.kubernetes\.io/leader}' |
        sed -n 's/.*"holderIdentity":"\([^"]*\)".*"renewTime":"\([^"]*\)".*/\1 \2/p' ;;
    *) echo "unknown --leader-elect-resource-lock $lock" >&2; return 1 ;;
  esac
}

if [ "$elect" = false ]; then
  echo "$component runs with --leader-elect=false: it takes no part in leader election"
  exit 0
fi

first=$(record) || exit 1
holder=${first%% *}
renewing=
waited=0
# No lock at all: nothing in the cluster elects a leader under this name, so there is nothing to watch.
[ -n "$first" ] || waited=$seconds
while [ "$waited" -lt "$seconds" ]; do
  sleep 2
  waited=$((waited + 2))
  now=$(record) || exit 1
  if [ -n "$now" ] && [ "${now%% *}" = "$holder" ] && [ "$now" != "$first" ]; then first=$now renewing=1; break; fi
  first=$now
  holder=${first%% *}
done
renewed=${first#* }
case $holder in "${host}_"*) ours=1 ;; *) ours= ;; esac

if [ -z "$holder" ]; then
  echo "nobody holds the leader lock $where ($lock) yet"
elif [ -n "$ours" ] && [ -n "$renewing" ]; then
  if [ "$mode" = report ]; then echo "the leader lock $where ($lock) is held by the debug build ($holder), renewed at $renewed"
  else echo "the leader lock $where ($lock) is held by this node's $component ($holder)"; fi
elif [ -n "$ours" ]; then
  echo "the leader lock $where ($lock) is held by $holder on this node, last renewed at $renewed and not renewed since: the stopped $component, until its lease runs out; then the debug build takes it"
elif [ -z "$renewing" ]; then
  echo "the leader lock $where ($lock) is held by $holder, last renewed at $renewed and not renewed within $seconds s: whoever renews first once it runs out leads"
elif [ "$mode" = check ]; then
  echo "$holder, another $component, holds the leader lock $where ($lock) and keeps renewing it (last at $renewed): with leader_elect=false the debug build would act beside it as a second active $component. Stop that instance first, or keep leader_elect" >&2
  exit 1
else
  echo "warning: $holder, another $component, holds the leader lock $where ($lock) and keeps renewing it (last at $renewed): the debug build waits as a standby, so breakpoints in code only the leader runs will not be hit until $holder loses the lock"
fi
exit 0
