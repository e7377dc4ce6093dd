#!/bin/sh
# Is the component at URL alive? Run on the node: health-check.sh URL [CERT KEY CA]
# 2xx is healthy. 401 and 403 count as alive too: TLS came up and the server answered HTTP, which is all a
# component with --anonymous-auth=false (CIS-hardened clusters) lets an anonymous check see of /livez.
# No answer (refused, timeout, TLS failure) or any other status is not alive. CERT and KEY are a client
# certificate (etcd's client URL wants one); CA checks the server's certificate, which is otherwise not
# checked (the check is on the node itself, against the component's own address).
# Exit 0 when alive, 1 when not; one line on stdout or stderr says which and why.
url=$1 cert=${2:-} key=${3:-} ca=${4:-}
if [ -z "$url" ]; then echo "usage: health-check.sh URL [CERT KEY CA]" >&2; exit 2; fi
command -v curl >/dev/null || { echo "curl is needed on the node for health checks" >&2; exit 1; }
set -- -s -o /dev/null -w '%{http_code}' --max-time 3
if [ -n "$ca" ]; then set -- "$@" --cacert "$ca"; else set -- "$@" -k; fi
if [ -n "$cert" ]; then set -- "$@" --cert "$cert"; fi
if [ -n "$key" ]; then set -- "$@" --key "$key"; fi
code=$(curl "$@" -- "$url")
rc=$?
case $code in
  2??) echo "$url answers $code"; exit 0 ;;
  401 | 403) echo "$url answers $code: serving, and the check is not authorized to see more"; exit 0 ;;
  000 | '') echo "no answer from $url (curl exit status $rc)" >&2; exit 1 ;;
  *) echo "$url answers $code" >&2; exit 1 ;;
esac
