// The path-mapping reader run by playbooks/lib/ide-paths.sh: standard library only.
module kplay.local/ide-paths

go 1.18
