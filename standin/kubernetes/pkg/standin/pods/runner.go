// Package pods is the pod runner of the STAND-IN kubelet (not Kubernetes).
//
// It runs the first container of each static pod (files in staticPodPath)
// and of each DaemonSet in the stand-in cluster file that matches this node
// (or, without a cluster file, of each pod the API binds to this node: see
// api.go) as a plain host process, restarts it when it dies (restartPolicy Always)
// or when its definition changes, stops it when it goes away, and adopts
// running pods after a kubelet restart (pods outlive the kubelet, as
// containers do).
//
// The real kubelet watches the static pod directory with inotify plus a
// 20 s re-scan and watches its pods in the API server; the stand-in simply
// polls both every second.
package pods

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

const (
	// PodsDir holds one folder per pod: state.json, container.log, volumes/.
	PodsDir = "/var/lib/kubelet/pods"
	// PodPATH is the PATH of every pod (and the one its command is resolved in).
	PodPATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	// ServiceAccountMount is where DaemonSet pods find their token.
	ServiceAccountMount = "/var/run/secrets/kubernetes.io/serviceaccount"

	pollInterval = time.Second
	backOff      = time.Second
	stopGrace    = 10 * time.Second
)

// State is recorded in <PodsDir>/<pod>/state.json.
type State struct {
	Name      string   `json:"name"`
	Namespace string   `json:"namespace"`
	Source    string   `json:"source"`
	Hash      string   `json:"hash"`
	PID       int      `json:"pid"`
	StartTime uint64   `json:"startTime"` // /proc/PID/stat field 22
	Argv      []string `json:"argv"`
	StartedAt string   `json:"startedAt"`
}

type running struct {
	State
	diedAt time.Time // zero while alive
}

// Runner is the pod runner.
type Runner struct {
	node      string
	staticDir string
	podsDir   string
	pods      map[string]*running
	lastMsg   map[string]string // de-duplicates repeated error messages
	api       *API              // nil: cluster-file mode only
}

// NewRunner returns a runner for node reading static pods from staticDir,
// and the pods bound to node from api (nil for none) when there is no
// cluster file.
func NewRunner(node, staticDir string, api *API) *Runner {
	return &Runner{node: node, staticDir: staticDir, podsDir: PodsDir,
		pods: map[string]*running{}, lastMsg: map[string]string{}, api: api}
}

func logf(format string, a ...interface{}) {
	log.Printf("kubelet (stand-in) pods: "+format, a...)
}

// once logs msg for key unless it was the last message logged for key.
// An empty msg clears key silently.
func (r *Runner) once(key, msg string) {
	if msg == "" {
		delete(r.lastMsg, key)
		return
	}
	if r.lastMsg[key] != msg {
		r.lastMsg[key] = msg
		logf("%s", msg)
	}
}

// Run adopts surviving pods and then syncs every second until ctx is done.
// It never stops pods when ctx ends: pods outlive the kubelet.
func (r *Runner) Run(ctx context.Context) {
	r.adopt()
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		r.sync()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *Runner) adopt() {
	entries, _ := os.ReadDir(r.podsDir)
	for _, e := range entries {
		dir := filepath.Join(r.podsDir, e.Name())
		data, err := os.ReadFile(filepath.Join(dir, "state.json"))
		if err != nil {
			continue
		}
		var st State
		if err := json.Unmarshal(data, &st); err != nil || st.Name != e.Name() {
			continue
		}
		if alive(st.PID, st.StartTime) {
			logf("adopted pod %s (%s) pid %d", st.Name, st.Source, st.PID)
			r.pods[st.Name] = &running{State: st}
		} else {
			logf("pod %s (%s): recorded pid %d is gone", st.Name, st.Source, st.PID)
			// Keep it as a dead pod: restarted if still wanted, else cleaned up.
			r.pods[st.Name] = &running{State: st, diedAt: time.Now().Add(-backOff)}
		}
	}
}

// Objects gives the files of the ConfigMaps and Secrets that pods mount:
// the cluster file's, or the API's as last read.
type Objects interface {
	ObjectFiles(kind, namespace, name string) (map[string]string, error)
}

func (r *Runner) sync() {
	desired := map[string]*Pod{}
	keep := map[string]bool{} // pods whose definition could not be read this round
	r.staticPods(desired, keep)
	objects, terminating := r.otherPods(desired, keep)
	for _, ref := range terminating {
		if rp := r.pods[ref.Name]; rp != nil && !strings.HasPrefix(rp.Source, "static:") {
			r.stop(rp, "deleted from the API")
			r.cleanup(ref.Name)
			delete(r.pods, ref.Name)
		}
		r.api.Delete(ref) // otherPods returns terminating pods in API mode only
	}
	r.stopUnwanted(desired, keep)
	r.startWanted(desired, objects)
}

func (r *Runner) staticPods(desired map[string]*Pod, keep map[string]bool) {
	entries, err := os.ReadDir(r.staticDir)
	if err != nil {
		r.once("staticdir", fmt.Sprintf("static pod path %s: %v", r.staticDir, err))
	} else {
		r.once("staticdir", "")
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || e.IsDir() {
			continue
		}
		path := filepath.Join(r.staticDir, e.Name())
		data, err := os.ReadFile(path)
		var p *Pod
		if err == nil {
			p, err = ParseStaticPod(data, r.node)
		}
		if err != nil {
			r.once("static:"+path, fmt.Sprintf("ignoring static pod manifest %s: %v", path, err))
			for name, rp := range r.pods {
				if rp.Source == "static:"+path {
					keep[name] = true
				}
			}
			continue
		}
		r.once("static:"+path, "")
		sum := sha256.Sum256(data)
		p.Hash = fmt.Sprintf("%x", sum[:8])
		p.Source = "static:" + path
		if other, dup := desired[p.Name]; dup {
			r.once("dup:"+path, fmt.Sprintf("ignoring static pod manifest %s: pod %s is already defined by %s", path, p.Name, other.Source))
			continue
		}
		desired[p.Name] = p
	}
}

// otherPods adds the pods that do not come from files: the DaemonSet pods
// of the cluster file when there is one, else the pods bound to this node in
// the API (API mode). With neither, they are kept as they are.
func (r *Runner) otherPods(desired map[string]*Pod, keep map[string]bool) (Objects, []PodRef) {
	var pods []*Pod
	var objects Objects
	var terminating []PodRef
	c, err := ReadCluster(clusterFile())
	var snap *APISnapshot
	if err != nil && r.api != nil {
		snap = r.api.Snapshot()
	}
	switch {
	case err == nil:
		r.once("cluster", "")
		var errs []error
		pods, errs = c.DaemonSetPods(r.node)
		for _, err := range errs {
			r.once("dserr:"+err.Error(), err.Error())
		}
		objects = c
	case snap != nil:
		pods, objects, terminating = snap.Run, snap, snap.Terminating
	default:
		// Missing or being replaced, or the API did not answer: leave these pods as they are.
		if !os.IsNotExist(err) {
			r.once("cluster", fmt.Sprintf("cluster file: %v (keeping DaemonSet pods as they are)", err))
		}
		for name, rp := range r.pods {
			if !strings.HasPrefix(rp.Source, "static:") {
				keep[name] = true
			}
		}
		return nil, nil
	}
	for _, p := range pods {
		if _, dup := desired[p.Name]; !dup {
			desired[p.Name] = p
		}
	}
	return objects, terminating
}

// stopUnwanted stops the pods that are no longer wanted.
func (r *Runner) stopUnwanted(desired map[string]*Pod, keep map[string]bool) {
	names := make([]string, 0, len(r.pods))
	for name := range r.pods {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if desired[name] == nil && !keep[name] {
			r.stop(r.pods[name], "no longer defined")
			r.cleanup(name)
			delete(r.pods, name)
		}
	}
}

// startWanted starts, restarts or keeps the wanted pods.
func (r *Runner) startWanted(desired map[string]*Pod, objects Objects) {
	names := make([]string, 0, len(desired))
	for name := range desired {
		names = append(names, name)
	}
	sort.Strings(names)
	now := time.Now()
	for _, name := range names {
		p := desired[name]
		rp := r.pods[name]
		if rp != nil && rp.Hash != p.Hash {
			r.stop(rp, "definition changed")
			delete(r.pods, name)
			rp = nil
		}
		if rp != nil {
			if alive(rp.PID, rp.StartTime) {
				if objects != nil && len(p.Mounts) > 0 {
					_ = r.writeVolumes(p, objects) // propagate ConfigMap and Secret updates, like the kubelet
				}
				if strings.HasPrefix(p.Source, "api:") {
					r.api.Running(PodRef{Namespace: p.Namespace, Name: p.Name}, rp.StartedAt)
				}
				continue
			}
			if rp.diedAt.IsZero() {
				rp.diedAt = now
				logf("pod %s (%s): pid %d exited; restarting after %v", name, rp.Source, rp.PID, backOff)
			}
			if now.Sub(rp.diedAt) < backOff-pollInterval/4 { // tolerate ticker jitter
				continue
			}
		}
		if err := r.start(p, objects); err != nil {
			r.once("start:"+name, fmt.Sprintf("failed to start pod %s (%s): %v", name, p.Source, err))
			if rp != nil {
				rp.diedAt = now // retry after the back-off
			}
			continue
		}
		r.once("start:"+name, "")
	}
}

func (r *Runner) podDir(name string) string { return filepath.Join(r.podsDir, name) }

// stop terminates a pod's process (if it still runs).
func (r *Runner) stop(rp *running, why string) {
	if alive(rp.PID, rp.StartTime) {
		logf("stopping pod %s (%s) pid %d: %s", rp.Name, rp.Source, rp.PID, why)
		if terminate(rp.PID, rp.StartTime, stopGrace) {
			logf("pod %s pid %d did not exit within %v: killed", rp.Name, rp.PID, stopGrace)
		}
		logf("stopped pod %s (%s)", rp.Name, rp.Source)
	} else {
		logf("removed pod %s (%s): %s", rp.Name, rp.Source, why)
	}
	_ = os.Remove(filepath.Join(r.podDir(rp.Name), "state.json"))
}

// cleanup removes a stopped pod's state and volumes (the log is kept).
func (r *Runner) cleanup(name string) {
	_ = os.Remove(filepath.Join(r.podDir(name), "state.json"))
	_ = os.RemoveAll(filepath.Join(r.podDir(name), "volumes"))
}

// lookPath resolves a command in the fixed pod PATH.
func lookPath(cmd string) (string, error) {
	if strings.Contains(cmd, "/") {
		if fi, err := os.Stat(cmd); err != nil {
			return "", err
		} else if fi.IsDir() || fi.Mode()&0o111 == 0 {
			return "", fmt.Errorf("%s: permission denied", cmd)
		}
		return cmd, nil
	}
	for _, dir := range strings.Split(strings.TrimPrefix(PodPATH, "PATH="), ":") {
		p := filepath.Join(dir, cmd)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("executable file %q not found in %s", cmd, PodPATH)
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// syncFiles makes dir contain exactly files (name -> content).
func syncFiles(dir string, files map[string]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, _ := os.ReadDir(dir)
	for _, e := range old {
		if _, ok := files[e.Name()]; !ok {
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if cur, err := os.ReadFile(p); err == nil && string(cur) == content {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		tmp := filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+".tmp")
		if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, p); err != nil {
			return err
		}
	}
	return nil
}

// writeVolumes writes the pod's configMap and secret volumes; it returns an
// error when an object does not exist (the real kubelet does not start the
// container then either).
func (r *Runner) writeVolumes(p *Pod, objects Objects) error {
	for _, m := range p.Mounts {
		if objects == nil {
			return fmt.Errorf("%s %s/%s: no cluster file and no API", m.Kind, p.Namespace, m.Object)
		}
		data, err := objects.ObjectFiles(m.Kind, p.Namespace, m.Object)
		if err != nil {
			return err
		}
		files := map[string]string{}
		for k, v := range data {
			if m.Items == nil {
				files[k] = v
			} else if path, ok := m.Items[k]; ok {
				files[path] = v
			}
		}
		if err := syncFiles(filepath.Join(r.podDir(p.Name), "volumes", m.Volume), files); err != nil {
			return err
		}
	}
	return nil
}

// start runs the pod's container as a host process.
func (r *Runner) start(p *Pod, objects Objects) error {
	dir := r.podDir(p.Name)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	_ = os.RemoveAll(filepath.Join(dir, "volumes"))

	envPairs := p.ResolveEnv(r.node)
	envMap := map[string]string{}
	env := []string{PodPATH, "HOME=/root"}
	for _, kv := range envPairs {
		envMap[kv[0]] = kv[1]
		env = append(env, kv[0]+"="+kv[1])
	}
	var argv []string
	for _, a := range append(append([]string{}, p.Command...), p.Args...) {
		argv = append(argv, Expand(a, envMap))
	}
	path, err := lookPath(argv[0])
	if err != nil {
		return err
	}
	argv[0] = path

	// Volumes: bind-mount configMap and secret folders and the stand-in
	// service-account token in a private mount namespace of the pod process only.
	var binds [][2]string
	if err := r.writeVolumes(p, objects); err != nil {
		return err
	}
	for _, m := range p.Mounts {
		binds = append(binds, [2]string{filepath.Join(dir, "volumes", m.Volume), m.MountPath})
	}
	if p.ServiceAccountToken {
		tokenDir := filepath.Join(dir, "volumes", "token")
		files := map[string]string{
			"token":     fmt.Sprintf("kplay-standin-token.%s.%s.%d\n", p.Namespace, p.Name, time.Now().Unix()),
			"namespace": p.Namespace,
		}
		if ca, err := os.ReadFile("/etc/kubernetes/pki/ca.crt"); err == nil {
			files["ca.crt"] = string(ca)
		}
		if err := syncFiles(tokenDir, files); err != nil {
			return err
		}
		binds = append(binds, [2]string{tokenDir, ServiceAccountMount})
	}
	if len(binds) > 0 {
		unshare, err := lookPath("unshare")
		if err != nil {
			return err
		}
		sh, err := lookPath("sh")
		if err != nil {
			return err
		}
		var script []string
		for _, b := range binds {
			script = append(script, "mkdir -p "+shellQuote(b[1])+" && mount --bind "+shellQuote(b[0])+" "+shellQuote(b[1]))
		}
		// sh exports PWD; drop it so the pod sees only its own environment.
		script = append(script, `unset PWD OLDPWD`, `exec "$@"`)
		argv = append([]string{unshare, "--mount", "--propagation", "private", sh, "-c", strings.Join(script, " && "), "sh"}, argv...)
		path = unshare
	}

	logFile, err := os.OpenFile(filepath.Join(dir, "container.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	cmd := &exec.Cmd{
		Path:        path,
		Args:        argv,
		Env:         env, // clean: nothing of the kubelet's environment
		Dir:         "/",
		Stdout:      logFile,
		Stderr:      logFile,
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	err = cmd.Start()
	logFile.Close()
	if err != nil {
		return err
	}
	pid := cmd.Process.Pid
	// Until it is waited for, the child's /proc entry exists (a zombie at worst).
	_, startTime, err := procStat(pid)
	go func() { _ = cmd.Wait() }() // reap our child when it exits
	if err != nil {
		return fmt.Errorf("reading start time of pid %d: %v", pid, err)
	}
	st := State{Name: p.Name, Namespace: p.Namespace, Source: p.Source, Hash: p.Hash,
		PID: pid, StartTime: startTime, Argv: argv, StartedAt: time.Now().UTC().Format(time.RFC3339)}
	data, _ := json.MarshalIndent(st, "", "  ")
	tmp := filepath.Join(dir, ".state.json.tmp")
	if err := os.WriteFile(tmp, append(data, '\n'), 0o640); err == nil {
		_ = os.Rename(tmp, filepath.Join(dir, "state.json"))
	}
	r.pods[p.Name] = &running{State: st}
	logf("started pod %s (%s) pid %d: %s", p.Name, p.Source, pid, strings.Join(argv, " "))
	return nil
}
