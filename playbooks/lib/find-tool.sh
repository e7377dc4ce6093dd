#!/bin/sh
# Where a tool is on the node: find-tool.sh NAME WANTED VAR
# WANTED is what the user set (VAR, e.g. dlv_bin): a path is taken as it is, a name is looked up in PATH
# (sudo's secure_path, when kplay runs with become) and then where nodes keep tools outside it:
# /usr/local/bin, /opt/bin (Flatcar and other read-only-/usr systems), the go/bin folders of the login user
# (SUDO_USER), of this user and of root (`go install` puts dlv there), /snap/bin. Prints the path; else
# exits 1 with every place it looked and the variable that names it.
name=$1 wanted=${2:-$1} var=$3
case $wanted in
  */*)
    if [ -f "$wanted" ] && [ -x "$wanted" ]; then printf '%s\n' "$wanted"; exit 0; fi
    echo "$name: $wanted (set by $var) is not an executable file on this node: install $name there, or set $var to where it is" >&2
    exit 1
    ;;
esac
found=$(command -v -- "$wanted" 2>/dev/null) && case $found in /*) printf '%s\n' "$found"; exit 0 ;; esac
login_home=
if [ -n "${SUDO_USER:-}" ]; then login_home=$(getent passwd "$SUDO_USER" 2>/dev/null | cut -d: -f6); fi
looked="PATH ($PATH)" seen=" "
for dir in /usr/local/bin /opt/bin ${login_home:+"$login_home/go/bin"} ${HOME:+"$HOME/go/bin"} /root/go/bin /snap/bin; do
  case $seen in *" $dir "*) continue ;; esac
  seen="$seen$dir "
  if [ -f "$dir/$wanted" ] && [ -x "$dir/$wanted" ]; then printf '%s\n' "$dir/$wanted"; exit 0; fi
  looked="$looked, $dir"
done
echo "$name ($wanted) is not on this node: looked in $looked; install it, or set $var to its path" >&2
exit 1
