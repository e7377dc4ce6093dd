package pods

// The API objects of the stand-in kubelet's API mode (see api.go), as pure
// functions: what a `kubectl get pods -o json` listing means for this node,
// the Node it registers, the Lease it renews and the files a ConfigMap or
// Secret volume holds.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// PodRef names a pod object.
type PodRef struct {
	Namespace string
	Name      string
}

func (r PodRef) String() string { return r.Namespace + "/" + r.Name }

// MirrorAnnotation marks the API's copy of a static pod (a mirror pod): the
// kubelet runs the static pod from its file, never from the mirror.
const MirrorAnnotation = "kubernetes.io/config.mirror"

// PodList is what PodsFromList makes of a listing.
type PodList struct {
	Run         []*Pod   // pods to run (first container each)
	Terminating []PodRef // pods with a deletionTimestamp: stop, then delete
	Errors      []error  // pods the stand-in cannot run, and why
	// Objects are the pods of Run as listed, by namespace/name: their
	// status is posted from them.
	Objects map[PodRef]interface{}
}

// PodsFromList reads the JSON of `kubectl get pods -A --field-selector
// spec.nodeName=NODE -o json`. Pods bound elsewhere, mirror pods and pods
// that have finished (phase Succeeded or Failed) are left out.
func PodsFromList(data []byte, node string) (PodList, error) {
	var doc interface{}
	if err := json.Unmarshal(data, &doc); err != nil {
		return PodList{}, fmt.Errorf("pod list: %v", err)
	}
	out := PodList{Objects: map[PodRef]interface{}{}}
	for _, item := range list(get(doc, "items")) {
		ref := PodRef{Namespace: str(get(item, "metadata", "namespace")), Name: str(get(item, "metadata", "name"))}
		if str(get(item, "spec", "nodeName")) != node || ref.Name == "" {
			continue
		}
		if ann, _ := get(item, "metadata", "annotations").(map[string]interface{}); ann != nil {
			if _, mirror := ann[MirrorAnnotation]; mirror {
				continue
			}
		}
		if get(item, "metadata", "deletionTimestamp") != nil {
			out.Terminating = append(out.Terminating, ref)
			continue
		}
		if phase := str(get(item, "status", "phase")); phase == "Succeeded" || phase == "Failed" {
			continue
		}
		p, err := podFromTemplate(item)
		if err != nil {
			out.Errors = append(out.Errors, fmt.Errorf("pod %s: %v", ref, err))
			continue
		}
		p.Name, p.Namespace = ref.Name, ref.Namespace
		p.Source = "api:" + ref.String()
		// A pod's command, env and volumes cannot change: its UID is its identity.
		p.Hash = str(get(item, "metadata", "uid"))
		out.Run = append(out.Run, p)
		out.Objects[ref] = item
	}
	return out, nil
}

// RunningStatus is the pod object with the status the real kubelet posts
// for a pod whose containers run: phase Running, its conditions true, the
// node's address as hostIP (and podIP: the stand-in's pods all share the
// node's network). STAND-IN: only the first container runs; any other is
// reported waiting, and the pod then not ready.
func RunningStatus(pod interface{}, hostIP string, startedAt string) map[string]interface{} {
	obj, _ := pod.(map[string]interface{})
	out := map[string]interface{}{}
	for k, v := range obj {
		out[k] = v
	}
	ready := "True"
	var statuses []interface{}
	for i, c := range list(get(pod, "spec", "containers")) {
		st := map[string]interface{}{"name": str(get(c, "name")), "image": str(get(c, "image")), "imageID": "",
			"restartCount": 0, "ready": i == 0, "started": i == 0}
		if i == 0 {
			st["containerID"] = "standin://" + str(get(pod, "metadata", "uid"))
			st["state"] = map[string]interface{}{"running": map[string]interface{}{"startedAt": startedAt}}
		} else {
			ready = "False"
			st["state"] = map[string]interface{}{"waiting": map[string]interface{}{"reason": "StandInRunsFirstContainerOnly"}}
		}
		statuses = append(statuses, st)
	}
	condition := func(typ, status string) map[string]interface{} {
		return map[string]interface{}{"type": typ, "status": status, "lastProbeTime": nil, "lastTransitionTime": startedAt}
	}
	status := map[string]interface{}{
		"phase":             "Running",
		"hostIP":            hostIP,
		"startTime":         startedAt,
		"containerStatuses": statuses,
		"conditions": []interface{}{condition("Initialized", "True"), condition("Ready", ready),
			condition("ContainersReady", ready), condition("PodScheduled", "True")},
	}
	if hostIP != "" {
		status["podIP"] = hostIP
		status["podIPs"] = []interface{}{map[string]interface{}{"ip": hostIP}}
	}
	if qos := get(pod, "status", "qosClass"); qos != nil {
		status["qosClass"] = qos
	}
	out["status"] = status
	return out
}

// ObjectFiles returns the files of a ConfigMap (data, and binaryData
// decoded) or a Secret (data decoded) as `kubectl get -o json` gives it.
func ObjectFiles(kind string, data []byte) (map[string]string, error) {
	var obj struct {
		Data       map[string]string `json:"data"`
		BinaryData map[string]string `json:"binaryData"`
	}
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, fmt.Errorf("%s: %v", kind, err)
	}
	files := map[string]string{}
	encoded := obj.BinaryData
	if kind == KindSecret {
		encoded = obj.Data
	} else {
		for k, v := range obj.Data {
			files[k] = v
		}
	}
	for k, v := range encoded {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			// The value is not shown: it may be a secret.
			return nil, fmt.Errorf("%s key %q: not base64", kind, k)
		}
		files[k] = string(b)
	}
	return files, nil
}

// NodeInfo is what the stand-in kubelet reports about its node.
type NodeInfo struct {
	Name          string
	IP            string // InternalIP; none when empty
	CPUs          int
	MemoryKi      uint64
	KernelVersion string
	OSImage       string
	BootID        string
	MachineID     string
	Version       string // the kubelet's version, e.g. v1.20.2
	Arch          string
}

// NodeObject is the Node the kubelet registers: the labels the real kubelet
// sets itself, and a status with capacity, addresses, node info and a Ready
// condition (a Node's status may be given on create).
func NodeObject(n NodeInfo, now time.Time) map[string]interface{} {
	ts := now.UTC().Format(time.RFC3339)
	resources := map[string]interface{}{
		"cpu": fmt.Sprint(n.CPUs), "memory": fmt.Sprintf("%dKi", n.MemoryKi), "pods": "110",
	}
	condition := func(typ, status, reason, msg string) map[string]interface{} {
		return map[string]interface{}{"type": typ, "status": status, "reason": reason, "message": msg,
			"lastHeartbeatTime": ts, "lastTransitionTime": ts}
	}
	addresses := []interface{}{}
	if n.IP != "" {
		addresses = append(addresses, map[string]interface{}{"type": "InternalIP", "address": n.IP})
	}
	addresses = append(addresses, map[string]interface{}{"type": "Hostname", "address": n.Name})
	return map[string]interface{}{
		"apiVersion": "v1",
		"kind":       "Node",
		"metadata": map[string]interface{}{
			"name": n.Name,
			"labels": map[string]interface{}{
				"kubernetes.io/hostname": n.Name, "kubernetes.io/os": "linux", "kubernetes.io/arch": n.Arch,
				"beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": n.Arch,
			},
		},
		"status": map[string]interface{}{
			"capacity":    resources,
			"allocatable": resources,
			"addresses":   addresses,
			"conditions": []interface{}{
				condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
				condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
				condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
				condition("Ready", "True", "KubeletReady", "kubelet is posting ready status (stand-in kubelet: pods run as host processes)"),
			},
			"daemonEndpoints": map[string]interface{}{"kubeletEndpoint": map[string]interface{}{"Port": 10250}},
			"nodeInfo": map[string]interface{}{
				"machineID": n.MachineID, "systemUUID": n.MachineID, "bootID": n.BootID,
				"kernelVersion": n.KernelVersion, "osImage": n.OSImage,
				"containerRuntimeVersion": "standin://0.0.0",
				"kubeletVersion":          n.Version, "kubeProxyVersion": n.Version,
				"operatingSystem": "linux", "architecture": n.Arch,
			},
		},
	}
}

// LeaseDuration is the node lease's duration, as the real kubelet sets it
// (nodeLeaseDurationSeconds); it renews every quarter of it (10 s).
const LeaseDuration = 40 * time.Second

// LeaseObject is the node's heartbeat in kube-node-lease, as the real
// kubelet keeps it (holder and name are the node's name).
func LeaseObject(node string, now time.Time) map[string]interface{} {
	return map[string]interface{}{
		"apiVersion": "coordination.k8s.io/v1",
		"kind":       "Lease",
		"metadata":   map[string]interface{}{"name": node, "namespace": "kube-node-lease"},
		"spec": map[string]interface{}{
			"holderIdentity":       node,
			"leaseDurationSeconds": int(LeaseDuration / time.Second),
			// MicroTime: RFC 3339 with microseconds.
			"renewTime": now.UTC().Format("2006-01-02T15:04:05.000000Z07:00"),
		},
	}
}

// mountedObjects lists the ConfigMaps and Secrets that pods mount, as
// "kind/namespace/name" keys, sorted and without repeats.
func mountedObjects(pods []*Pod) []string {
	seen := map[string]bool{}
	var keys []string
	for _, p := range pods {
		for _, m := range p.Mounts {
			k := objectKey(m.Kind, p.Namespace, m.Object)
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

func objectKey(kind, namespace, name string) string { return kind + "/" + namespace + "/" + name }
