package main

import (
	"bufio"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"

	"k8s.io/kubernetes/pkg/standin"
	"k8s.io/kubernetes/pkg/standin/pods"
)

// nodeInfo gathers what the Node's status reports, from the machine as the
// real kubelet's cadvisor does (in spirit: /proc and /etc, not cgroups).
func nodeInfo(name, nodeIP string) pods.NodeInfo {
	if nodeIP == "" {
		nodeIP = firstAddress()
	}
	return pods.NodeInfo{
		Name:          name,
		IP:            nodeIP,
		CPUs:          runtime.NumCPU(),
		MemoryKi:      memTotalKi(),
		KernelVersion: firstLine("/proc/sys/kernel/osrelease"),
		OSImage:       osImage(),
		BootID:        firstLine("/proc/sys/kernel/random/boot_id"),
		MachineID:     firstLine("/etc/machine-id"),
		Version:       standin.Version(),
		Arch:          runtime.GOARCH,
	}
}

// firstAddress is the first global IPv4 address of an interface that is up:
// the real kubelet takes the address of the default route's interface when
// --node-ip is not given; in a node of its own network that is the same.
func firstAddress() string {
	ifaces, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, i := range ifaces {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && ipn.IP.IsGlobalUnicast() {
				return ipn.IP.String()
			}
		}
	}
	return ""
}

func firstLine(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0])
}

func memTotalKi() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			n, _ := strconv.ParseUint(fields[1], 10, 64)
			return n
		}
	}
	return 0
}

func osImage() string {
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return "Linux"
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "PRETTY_NAME=") {
			return strings.Trim(strings.TrimPrefix(l, "PRETTY_NAME="), `"`)
		}
	}
	return "Linux"
}
