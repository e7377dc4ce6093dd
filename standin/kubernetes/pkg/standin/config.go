package standin

import (
	"bufio"
	"os"
	"strings"
)

// ConfigLine is one "key: value" line of a YAML file, with its indentation.
type ConfigLine struct {
	Indent int
	Key    string
	Value  string
}

// ReadConfigLines reads a YAML file line-wise: every "key: value" mapping
// line with its indentation. It understands just enough YAML for the
// kubeadm-generated KubeProxyConfiguration and KubeletConfiguration files.
func ReadConfigLines(path string) ([]ConfigLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []ConfigLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		raw := strings.TrimRight(sc.Text(), " \t\r")
		trimmed := strings.TrimLeft(raw, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") || trimmed == "---" {
			continue
		}
		i := strings.Index(trimmed, ":")
		if i <= 0 || strings.HasPrefix(trimmed, "- ") {
			continue
		}
		key := trimmed[:i]
		val := strings.TrimSpace(trimmed[i+1:])
		if j := strings.Index(val, " #"); j >= 0 {
			val = strings.TrimSpace(val[:j])
		}
		out = append(out, ConfigLine{Indent: len(raw) - len(trimmed), Key: key, Value: Unquote(val)})
	}
	return out, sc.Err()
}

// Unquote strips one level of YAML single or double quotes.
func Unquote(s string) string {
	if len(s) >= 2 {
		if s[0] == '"' && s[len(s)-1] == '"' {
			r := strings.NewReplacer(`\"`, `"`, `\\`, `\`, `\n`, "\n", `\t`, "\t")
			return r.Replace(s[1 : len(s)-1])
		}
		if s[0] == '\'' && s[len(s)-1] == '\'' {
			return strings.ReplaceAll(s[1:len(s)-1], "''", "'")
		}
	}
	return s
}

// TopLevel returns the value of an unindented key, and whether it is present.
func TopLevel(lines []ConfigLine, key string) (string, bool) {
	for _, l := range lines {
		if l.Indent == 0 && l.Key == key {
			return l.Value, true
		}
	}
	return "", false
}

// Nested returns the value of key directly under the top-level key parent.
func Nested(lines []ConfigLine, parent, key string) (string, bool) {
	in := false
	childIndent := -1
	for _, l := range lines {
		if l.Indent == 0 {
			in = l.Key == parent
			childIndent = -1
			continue
		}
		if !in {
			continue
		}
		if childIndent < 0 {
			childIndent = l.Indent
		}
		if l.Indent == childIndent && l.Key == key {
			return l.Value, true
		}
	}
	return "", false
}
