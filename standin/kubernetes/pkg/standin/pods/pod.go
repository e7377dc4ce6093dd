package pods

import (
	"fmt"
	"sort"
	"strings"
)

// Pod is what the stand-in kubelet needs to run a pod: its first
// container's command line and environment and the volumes it must set up.
type Pod struct {
	Name      string // pod name (static: metadata.name + "-" + node name)
	Namespace string
	Source    string // "static:<file>", "daemonset:<namespace>/<name>" or "api:<namespace>/<name>"
	Hash      string // identity: a change restarts the pod
	// ServiceAccount is spec.serviceAccountName ("default" when unset).
	ServiceAccount string
	Command        []string
	Args           []string
	Env            []EnvVar
	// Mounts are the configMap and secret volumes to write and bind-mount.
	Mounts []Mount
	// ServiceAccountToken asks for a stand-in token mounted at
	// /var/run/secrets/kubernetes.io/serviceaccount (cluster-file mode; in
	// API mode the real token comes as a secret volume of the pod).
	ServiceAccountToken bool
}

// EnvVar is one container environment variable.
type EnvVar struct {
	Name      string
	Value     string
	FieldPath string // valueFrom.fieldRef.fieldPath, if any
}

// Mount is a configMap or secret volume mounted into the container.
type Mount struct {
	Kind      string // KindConfigMap or KindSecret
	Volume    string
	Object    string            // the ConfigMap's or Secret's name (in the pod's namespace)
	Items     map[string]string // key -> path; nil means all keys
	MountPath string
}

// The kinds of object a Mount reads its files from.
const (
	KindConfigMap = "configmap"
	KindSecret    = "secret"
)

// tree helpers over the generic values produced by ParseYAML / encoding/json

func get(v interface{}, path ...interface{}) interface{} {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]interface{})
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			s, ok := v.([]interface{})
			if !ok || k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

func str(v interface{}) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%f", x), "0"), ".")
	default:
		return fmt.Sprint(x)
	}
}

func strList(v interface{}) []string {
	s, _ := v.([]interface{})
	out := make([]string, 0, len(s))
	for _, e := range s {
		out = append(out, str(e))
	}
	return out
}

func list(v interface{}) []interface{} {
	s, _ := v.([]interface{})
	return s
}

// podFromTemplate reads metadata and spec.containers[0] of a Pod (static
// manifest) or pod template (DaemonSet spec.template).
func podFromTemplate(obj interface{}) (*Pod, error) {
	spec := get(obj, "spec")
	c := get(spec, "containers", 0)
	if c == nil {
		return nil, fmt.Errorf("no spec.containers[0]")
	}
	p := &Pod{
		Namespace:      str(get(obj, "metadata", "namespace")),
		ServiceAccount: str(get(spec, "serviceAccountName")),
		Command:        strList(get(c, "command")),
		Args:           strList(get(c, "args")),
	}
	if len(p.Command) == 0 {
		// Without a command a container runs its image's entrypoint; there
		// are no images here.
		return nil, fmt.Errorf("spec.containers[0].command is required by the stand-in kubelet (there are no images)")
	}
	for _, e := range list(get(c, "env")) {
		ev := EnvVar{Name: str(get(e, "name")), Value: str(get(e, "value")),
			FieldPath: str(get(e, "valueFrom", "fieldRef", "fieldPath"))}
		if ev.Name != "" {
			p.Env = append(p.Env, ev)
		}
	}
	volumes := map[string]interface{}{}
	for _, v := range list(get(spec, "volumes")) {
		volumes[str(get(v, "name"))] = v
	}
	for _, vm := range list(get(c, "volumeMounts")) {
		if m, ok := objectMount(volumes[str(get(vm, "name"))], str(get(vm, "mountPath"))); ok {
			p.Mounts = append(p.Mounts, m)
		}
	}
	// Parents before children, so a nested mount is not hidden by its parent's.
	sort.SliceStable(p.Mounts, func(i, j int) bool {
		return len(p.Mounts[i].MountPath) < len(p.Mounts[j].MountPath)
	})
	return p, nil
}

// objectMount reads a configMap or secret volume; other volumes (hostPath
// etc.) need nothing, since host processes see host paths.
func objectMount(vol interface{}, mountPath string) (Mount, bool) {
	m := Mount{Volume: str(get(vol, "name")), MountPath: mountPath}
	src := get(vol, "configMap")
	m.Kind, m.Object = KindConfigMap, str(get(src, "name"))
	if src == nil {
		src = get(vol, "secret")
		m.Kind, m.Object = KindSecret, str(get(src, "secretName"))
	}
	if src == nil {
		return Mount{}, false
	}
	if items := list(get(src, "items")); len(items) > 0 {
		m.Items = map[string]string{}
		for _, it := range items {
			m.Items[str(get(it, "key"))] = str(get(it, "path"))
		}
	}
	return m, true
}

// ParseStaticPod parses a kubeadm static pod manifest.
func ParseStaticPod(data []byte, nodeName string) (*Pod, error) {
	obj, err := ParseYAML(data)
	if err != nil {
		return nil, err
	}
	name := str(get(obj, "metadata", "name"))
	if name == "" {
		return nil, fmt.Errorf("no metadata.name")
	}
	p, err := podFromTemplate(obj)
	if err != nil {
		return nil, err
	}
	p.Name = name + "-" + nodeName
	if p.Namespace == "" {
		p.Namespace = "default"
	}
	return p, nil
}

// ResolveEnv returns the container environment (name, value pairs, in
// order) with fieldRefs filled in and $(VAR) references expanded.
func (p *Pod) ResolveEnv(nodeName string) [][2]string {
	vals := map[string]string{}
	var out [][2]string
	for _, e := range p.Env {
		v := e.Value
		switch e.FieldPath {
		case "":
			v = Expand(v, vals)
		case "spec.nodeName":
			v = nodeName
		case "metadata.name":
			v = p.Name
		case "metadata.namespace":
			v = p.Namespace
		case "spec.serviceAccountName":
			v = p.ServiceAccount
			if v == "" {
				v = "default"
			}
		default:
			v = "" // status.podIP etc.: unknown to the stand-in
		}
		vals[e.Name] = v
		out = append(out, [2]string{e.Name, v})
	}
	return out
}

// Expand replaces $(VAR) with env values like the kubelet does for
// command, args and env values: "$$" is a literal "$" and references to
// unknown variables are left as they are.
func Expand(s string, env map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := env[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}
