package pods

import (
	"fmt"
	"strconv"
	"strings"
)

// This file is a small reader for the subset of YAML that kubeadm writes
// into static pod manifests: block mappings, block sequences (also "- key:"
// items and sequences indented at the same level as their parent key),
// plain, single- and double-quoted scalars, comments, "{}" and "[]", simple
// flow sequences and "|"/">" block scalars. Scalars are kept as strings.
// It is not a general YAML parser.

type yline struct {
	indent int
	text   string // without the indentation; may carry a trailing comment
	num    int    // 1-based line number, for errors
}

type yparser struct {
	lines []yline
	i     int
}

// ParseYAML parses the first document of data into map[string]interface{},
// []interface{}, string or nil values.
func ParseYAML(data []byte) (interface{}, error) {
	var lines []yline
	seen := false
	for n, raw := range strings.Split(string(data), "\n") {
		raw = strings.TrimRight(raw, " \t\r")
		text := strings.TrimLeft(raw, " ")
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if len(raw) == len(text) && (text == "---" || strings.HasPrefix(text, "--- ")) {
			if seen {
				break
			}
			continue
		}
		if len(raw) == len(text) && text == "..." {
			break
		}
		if strings.HasPrefix(text, "\t") {
			return nil, fmt.Errorf("line %d: tabs are not allowed for indentation", n+1)
		}
		seen = true
		lines = append(lines, yline{indent: len(raw) - len(text), text: text, num: n + 1})
	}
	if len(lines) == 0 {
		return nil, nil
	}
	p := &yparser{lines: lines}
	v, err := p.block()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.lines) {
		return nil, fmt.Errorf("line %d: unexpected content %q", p.lines[p.i].num, p.lines[p.i].text)
	}
	return v, nil
}

func isSeqItem(t string) bool { return t == "-" || strings.HasPrefix(t, "- ") }

// block parses the node starting at the current line, at that line's indent.
func (p *yparser) block() (interface{}, error) {
	l := p.lines[p.i]
	if isSeqItem(l.text) {
		return p.seq(l.indent)
	}
	return p.mapping(l.indent)
}

func (p *yparser) seq(indent int) ([]interface{}, error) {
	out := []interface{}{}
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent != indent || !isSeqItem(l.text) {
			if l.indent > indent {
				return nil, fmt.Errorf("line %d: unexpected indentation", l.num)
			}
			break
		}
		rest := strings.TrimLeft(l.text[1:], " ")
		if rest == "" || strings.HasPrefix(rest, "#") {
			p.i++
			if p.i < len(p.lines) && p.lines[p.i].indent > indent {
				v, err := p.block()
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			} else {
				out = append(out, nil)
			}
			continue
		}
		off := len(l.text) - len(rest)
		if _, _, ok := splitKey(rest); ok || isSeqItem(rest) {
			// A compact nested node ("- key: value" or "- - x"): re-read
			// this line as if it started at the item's content column.
			p.lines[p.i] = yline{indent: indent + off, text: rest, num: l.num}
			v, err := p.block()
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			continue
		}
		p.i++
		v, err := p.scalar(rest, indent, l.num)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (p *yparser) mapping(indent int) (map[string]interface{}, error) {
	m := map[string]interface{}{}
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent < indent || (l.indent == indent && isSeqItem(l.text)) {
			break
		}
		if l.indent > indent {
			return nil, fmt.Errorf("line %d: unexpected indentation", l.num)
		}
		key, rest, ok := splitKey(l.text)
		if !ok {
			return nil, fmt.Errorf("line %d: expected \"key: value\", got %q", l.num, l.text)
		}
		p.i++
		if rest == "" || strings.HasPrefix(rest, "#") {
			var v interface{}
			if p.i < len(p.lines) {
				nl := p.lines[p.i]
				if nl.indent > indent || (nl.indent == indent && isSeqItem(nl.text)) {
					var err error
					if v, err = p.block(); err != nil {
						return nil, err
					}
				}
			}
			m[key] = v
			continue
		}
		v, err := p.scalar(rest, indent, l.num)
		if err != nil {
			return nil, err
		}
		m[key] = v
	}
	return m, nil
}

// splitKey splits "key: rest" (rest may be empty); ok is false when the
// text is not a mapping entry.
func splitKey(t string) (key, rest string, ok bool) {
	if t == "" || isSeqItem(t) {
		return "", "", false
	}
	if t[0] == '"' || t[0] == '\'' {
		end := closingQuote(t)
		if end < 0 || end+1 >= len(t) || t[end+1] != ':' {
			return "", "", false
		}
		after := t[end+2:]
		if after != "" && after[0] != ' ' {
			return "", "", false
		}
		k, err := unquoteScalar(t[:end+1])
		if err != nil {
			return "", "", false
		}
		return k, strings.TrimSpace(after), true
	}
	if t[0] == '{' || t[0] == '[' {
		return "", "", false
	}
	if i := strings.Index(t, ": "); i > 0 {
		return t[:i], strings.TrimSpace(t[i+2:]), true
	}
	if strings.HasSuffix(t, ":") && len(t) > 1 {
		return t[:len(t)-1], "", true
	}
	return "", "", false
}

// closingQuote returns the index of the quote closing the quoted scalar at
// the start of t, or -1.
func closingQuote(t string) int {
	q := t[0]
	for i := 1; i < len(t); i++ {
		switch {
		case q == '"' && t[i] == '\\':
			i++
		case q == '\'' && t[i] == '\'' && i+1 < len(t) && t[i+1] == '\'':
			i++
		case t[i] == q:
			return i
		}
	}
	return -1
}

func unquoteScalar(s string) (string, error) {
	if s[0] == '\'' {
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), nil
	}
	v, err := strconv.Unquote(s)
	if err != nil {
		// YAML escapes Go does not know (e.g. "\/"): take them literally.
		r := strings.NewReplacer(`\"`, `"`, `\\`, `\`, `\/`, `/`, `\n`, "\n", `\t`, "\t")
		return r.Replace(s[1 : len(s)-1]), nil
	}
	return v, nil
}

// scalar reads the value text of a "key: text" or "- text" line whose
// parent sits at indent; block scalars consume the following deeper lines.
func (p *yparser) scalar(text string, indent, num int) (interface{}, error) {
	switch text[0] {
	case '"', '\'':
		end := closingQuote(text)
		if end < 0 {
			return nil, fmt.Errorf("line %d: unterminated quoted scalar (multi-line quoted scalars are not supported)", num)
		}
		s, err := unquoteScalar(text[:end+1])
		return s, err
	case '|', '>':
		var parts []string
		first := -1
		for p.i < len(p.lines) && p.lines[p.i].indent > indent {
			l := p.lines[p.i]
			if first < 0 {
				first = l.indent
			}
			pad := ""
			if l.indent > first {
				pad = strings.Repeat(" ", l.indent-first)
			}
			parts = append(parts, pad+l.text)
			p.i++
		}
		sep := "\n"
		if text[0] == '>' {
			sep = " "
		}
		s := strings.Join(parts, sep)
		if !strings.Contains(text, "-") && s != "" {
			s += "\n"
		}
		return s, nil
	}
	if i := strings.Index(text, " #"); i >= 0 {
		text = strings.TrimSpace(text[:i])
	}
	switch {
	case text == "{}":
		return map[string]interface{}{}, nil
	case text == "[]":
		return []interface{}{}, nil
	case strings.HasPrefix(text, "[") && strings.HasSuffix(text, "]"):
		out := []interface{}{}
		for _, item := range strings.Split(text[1:len(text)-1], ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			if item[0] == '"' || item[0] == '\'' {
				if v, err := unquoteScalar(item); err == nil {
					out = append(out, v)
					continue
				}
			}
			out = append(out, item)
		}
		return out, nil
	}
	return text, nil
}
