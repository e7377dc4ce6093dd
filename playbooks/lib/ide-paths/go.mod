// The path-mapping reader run by playbooks/lib/ide.yaml: standard library only.
module kplay.local/ide-paths

go 1.16
