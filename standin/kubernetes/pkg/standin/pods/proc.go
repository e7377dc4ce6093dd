package pods

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procStat returns the state letter (field 3) and start time (field 22,
// in clock ticks since boot) of /proc/PID/stat.
func procStat(pid int) (state byte, start uint64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3
	if len(f) < 20 {
		return 0, 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	start, err = strconv.ParseUint(f[19], 10, 64) // field 22
	if err != nil {
		return 0, 0, err
	}
	return f[0][0], start, nil
}

// alive reports whether pid is a live (non-zombie) process started at start.
func alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	st, s, err := procStat(pid)
	if err != nil {
		return false
	}
	return s == start && st != 'Z' && st != 'X' && st != 'x'
}

// terminate sends SIGTERM to the pod's process group (it leads its own
// session), waits up to grace for it to exit, then sends SIGKILL.
func terminate(pid int, start uint64, grace time.Duration) (killed bool) {
	signal := func(sig syscall.Signal) {
		if err := syscall.Kill(-pid, sig); err != nil {
			_ = syscall.Kill(pid, sig)
		}
	}
	if !alive(pid, start) {
		return false
	}
	signal(syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !alive(pid, start) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	signal(syscall.SIGKILL)
	for i := 0; i < 50 && alive(pid, start); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	return true
}
