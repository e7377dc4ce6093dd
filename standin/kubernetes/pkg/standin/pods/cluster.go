package pods

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
)

// DefaultClusterFile is where the stand-in kubectl keeps the cluster state
// (nodes, DaemonSets, ConfigMaps). KPLAY_STANDIN_CLUSTER overrides it (for
// tests).
const DefaultClusterFile = "/var/lib/kplay-standin/cluster.json"

// Cluster is the content of the cluster file.
type Cluster struct {
	Nodes      map[string]interface{} `json:"nodes"`
	DaemonSets map[string]interface{} `json:"daemonsets"`
	ConfigMaps map[string]interface{} `json:"configmaps"`
}

func clusterFile() string {
	if p := os.Getenv("KPLAY_STANDIN_CLUSTER"); p != "" {
		return p
	}
	return DefaultClusterFile
}

// ReadCluster reads the cluster file.
func ReadCluster(path string) (*Cluster, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Cluster
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return &c, nil
}

// ConfigMapData returns the data of the ConfigMap namespace/name.
func (c *Cluster) ConfigMapData(namespace, name string) (map[string]string, bool) {
	cm, ok := c.ConfigMaps[namespace+"/"+name]
	if !ok {
		return nil, false
	}
	out := map[string]string{}
	if d, ok := get(cm, "data").(map[string]interface{}); ok {
		for k, v := range d {
			out[k] = str(v)
		}
	}
	return out, true
}

// ObjectFiles returns the files of a ConfigMap volume; the cluster file
// holds no Secrets (its pods get a stand-in token instead).
func (c *Cluster) ObjectFiles(kind, namespace, name string) (map[string]string, error) {
	if kind != KindConfigMap {
		return nil, fmt.Errorf("%s %s/%s: the cluster file holds ConfigMaps only", kind, namespace, name)
	}
	data, ok := c.ConfigMapData(namespace, name)
	if !ok {
		return nil, fmt.Errorf("configmap %s/%s not found", namespace, name)
	}
	return data, nil
}

// DaemonSetPods returns the pods of the DaemonSets that should run on node.
func (c *Cluster) DaemonSetPods(nodeName string) ([]*Pod, []error) {
	node, ok := c.Nodes[nodeName]
	if !ok {
		return nil, nil // node not registered: the DaemonSet controller schedules nothing here
	}
	labels := map[string]string{}
	if m, ok := get(node, "metadata", "labels").(map[string]interface{}); ok {
		for k, v := range m {
			labels[k] = str(v)
		}
	}
	var pods []*Pod
	var errs []error
	for key, ds := range c.DaemonSets {
		tmpl := get(ds, "spec", "template")
		if tmpl == nil {
			errs = append(errs, fmt.Errorf("daemonset %s: no spec.template", key))
			continue
		}
		tspec := get(tmpl, "spec")
		if !nodeSelectorMatches(get(tspec, "nodeSelector"), labels) ||
			!affinityMatches(get(tspec, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"), labels, nodeName) {
			continue
		}
		p, err := podFromTemplate(tmpl)
		if err != nil {
			errs = append(errs, fmt.Errorf("daemonset %s: %v", key, err))
			continue
		}
		ns := str(get(ds, "metadata", "namespace"))
		name := str(get(ds, "metadata", "name"))
		if ns == "" || name == "" {
			if i := indexByte(key, '/'); i > 0 {
				ns, name = key[:i], key[i+1:]
			} else {
				ns, name = "default", key
			}
		}
		tj, _ := json.Marshal(tmpl) // map keys are sorted: deterministic
		sum := sha256.Sum256(tj)
		p.Hash = fmt.Sprintf("%x", sum[:8])
		p.Name = name + "-" + nameSuffix(ns+"/"+name+"/"+nodeName)
		p.Namespace = ns
		p.Source = "daemonset:" + ns + "/" + name
		p.ServiceAccountToken = true
		pods = append(pods, p)
	}
	return pods, errs
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// nameSuffix derives a stable 5-character pod-name suffix, in the alphabet
// Kubernetes uses for generated names.
func nameSuffix(seed string) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	sum := sha256.Sum256([]byte(seed))
	b := make([]byte, 5)
	for i := range b {
		b[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	return string(b)
}

func nodeSelectorMatches(sel interface{}, labels map[string]string) bool {
	m, _ := sel.(map[string]interface{})
	for k, v := range m {
		if lv, ok := labels[k]; !ok || lv != str(v) {
			return false
		}
	}
	return true
}

// affinityMatches evaluates requiredDuringSchedulingIgnoredDuringExecution:
// nodeSelectorTerms are ORed, the requirements of a term ANDed; an empty
// term matches nothing; absent affinity matches every node.
func affinityMatches(req interface{}, labels map[string]string, nodeName string) bool {
	if req == nil {
		return true
	}
	for _, term := range list(get(req, "nodeSelectorTerms")) {
		exprs := list(get(term, "matchExpressions"))
		fields := list(get(term, "matchFields"))
		if len(exprs) == 0 && len(fields) == 0 {
			continue
		}
		ok := true
		for _, e := range exprs {
			v, has := labels[str(get(e, "key"))]
			if !requirementMatches(str(get(e, "operator")), strList(get(e, "values")), v, has) {
				ok = false
				break
			}
		}
		for _, e := range fields {
			var v string
			has := false
			if str(get(e, "key")) == "metadata.name" {
				v, has = nodeName, true
			}
			if !requirementMatches(str(get(e, "operator")), strList(get(e, "values")), v, has) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func requirementMatches(op string, values []string, v string, has bool) bool {
	in := false
	for _, x := range values {
		if x == v {
			in = true
		}
	}
	switch op {
	case "In":
		return has && in
	case "NotIn":
		return !has || !in
	case "Exists":
		return has
	case "DoesNotExist":
		return !has
	default: // Gt, Lt and unknown operators: not supported by the stand-in
		return false
	}
}
