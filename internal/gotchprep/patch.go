package gotchprep

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// wrapperHead matches the first line of a generated wrapper, e.g.
// "int64_t atg__fused_sdp_choice(tensor query, ...) {" or "tensor *atg_meshgrid(...) {".
var wrapperHead = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*(?:\s*\*)?)\s*\*?\s*(atg_[A-Za-z0-9_]+)\(.*\)\s*\{\s*$`)

// Wrapper is one generated C wrapper located in torch_api_generated.cpp.h.
type Wrapper struct {
	Name       string
	ReturnType string
	Start, End int // 0-based line indexes of the signature line and the closing brace
}

// errorLine matches a compiler diagnostic (error, or a "required from here" note of an error
// inside a template instantiated by the wrapper) that points into the generated file.
var errorLine = regexp.MustCompile(`torch_api_generated\.cpp\.h:(\d+):\d+:\s+(?:error|required from)`)

// FailingLines returns the 1-based line numbers of torch_api_generated.cpp.h that the
// compiler output blames.
func FailingLines(compilerOutput string) []int {
	seen := map[int]bool{}
	var out []int
	for _, m := range errorLine.FindAllStringSubmatch(compilerOutput, -1) {
		n, _ := strconv.Atoi(m[1])
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out
}

// enclosing finds the wrapper containing the 1-based line n.
func enclosing(lines []string, n int) (Wrapper, error) {
	i := n - 1
	if i < 0 || i >= len(lines) {
		return Wrapper{}, fmt.Errorf("line %d outside the generated file (%d lines)", n, len(lines))
	}
	start := -1
	for j := i; j >= 0; j-- {
		if wrapperHead.MatchString(lines[j]) {
			start = j
			break
		}
		if j < i && lines[j] == "}" {
			break // left a previous function without finding our head
		}
	}
	if start < 0 {
		return Wrapper{}, fmt.Errorf("line %d is not inside a generated wrapper: %q", n, lines[i])
	}
	end := -1
	for j := start + 1; j < len(lines); j++ {
		if lines[j] == "}" {
			end = j
			break
		}
	}
	if end < i {
		return Wrapper{}, fmt.Errorf("line %d: no closing brace for wrapper at line %d", n, start+1)
	}
	m := wrapperHead.FindStringSubmatch(lines[start])
	rt := strings.TrimSpace(lines[start][:strings.Index(lines[start], m[2])])
	return Wrapper{Name: m[2], ReturnType: rt, Start: start, End: end}, nil
}

// zeroReturn is the statement that ends a disabled wrapper of the given return type.
func zeroReturn(rt string) string {
	switch {
	case rt == "void":
		return ""
	case strings.HasSuffix(rt, "*"):
		return "  return nullptr;\n"
	default:
		return "  return 0;\n"
	}
}

// Disable replaces the bodies of the wrappers that contain the failing lines with a body that
// sets gotch's thread-local error, so that calling one returns an error from Go rather than
// failing to build (or crashing). It returns the patched source and the disabled wrapper names.
func Disable(src string, failing []int, libtorchVersion string) (string, []string, error) {
	lines := strings.Split(src, "\n")
	byStart := map[int]Wrapper{}
	for _, n := range failing {
		w, err := enclosing(lines, n)
		if err != nil {
			return "", nil, err
		}
		byStart[w.Start] = w
	}
	starts := make([]int, 0, len(byStart))
	for s := range byStart {
		starts = append(starts, s)
	}
	sort.Ints(starts)
	var sb strings.Builder
	var names []string
	prev := 0
	for _, s := range starts {
		w := byStart[s]
		sb.WriteString(strings.Join(lines[prev:w.Start+1], "\n"))
		sb.WriteString("\n")
		msg := fmt.Sprintf("%s: not available in libtorch %s", w.Name, libtorchVersion)
		fmt.Fprintf(&sb, "  torch_last_err = strdup(%q);\n%s}", msg, zeroReturn(w.ReturnType))
		prev = w.End + 1
		names = append(names, w.Name)
		if prev < len(lines) {
			sb.WriteString("\n")
		}
	}
	sb.WriteString(strings.Join(lines[prev:], "\n"))
	return sb.String(), names, nil
}
