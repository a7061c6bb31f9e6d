package lint

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// markdownFiles are the module's .md files, by path relative to the root,
// leaving out node_modules and the test environment.
func markdownFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".testenv" || strings.HasPrefix(d.Name(), ".") && p != root) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// headings are a Markdown file's headings (outside fenced code), with
// their lines.
func headings(t *testing.T, path string) (texts []string, lines []int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	fenced := false
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced || !strings.HasPrefix(line, "#") {
			continue
		}
		text := strings.TrimLeft(line, "#")
		if text == "" || text[0] != ' ' {
			continue
		}
		texts = append(texts, strings.TrimSpace(text))
		lines = append(lines, n)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return texts, lines
}

// anchors are the fragment IDs GitHub gives a file's headings: lower case,
// punctuation other than '-' and '_' dropped, blanks made '-', and "-1",
// "-2", ... after repeats.
func anchors(texts []string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, h := range texts {
		var b strings.Builder
		for _, r := range strings.ToLower(h) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			seen[a]++
			a += "-" + strconv.Itoa(n)
		} else {
			seen[a] = 1
		}
		out[a] = true
	}
	return out
}

var linkRE = regexp.MustCompile(`\]\(([^)\s]*)#([^)\s]+)\)`)

// TestDocLinksReachTheirHeadings: every link to a heading of a Markdown
// file of the module (docs/x.md#anchor, #anchor) names a heading that file
// has, so no link lands at the top of a page instead of its section.
func TestDocLinksReachTheirHeadings(t *testing.T) {
	root := filepath.Join("..", "..")
	cache := map[string]map[string]bool{}
	for _, rel := range markdownFiles(t, root) {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range linkRE.FindAllStringSubmatch(string(b), -1) {
			target, anchor := m[1], m[2]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file := filepath.Join(filepath.Dir(rel), target)
			if target == "" {
				file = rel
			}
			if !strings.HasSuffix(file, ".md") {
				continue
			}
			as, ok := cache[file]
			if !ok {
				if _, err := os.Stat(filepath.Join(root, file)); err != nil {
					t.Errorf("%s: link %s#%s: %v", rel, target, anchor, err)
					continue
				}
				texts, _ := headings(t, filepath.Join(root, file))
				as = anchors(texts)
				cache[file] = as
			}
			if !as[anchor] {
				t.Errorf("%s: link %s#%s: %s has no heading with that anchor", rel, target, anchor, file)
			}
		}
	}
}

var issueRE = regexp.MustCompile(`(?i)\(issue \d+[^)]*\)`)

// TestDocHeadingsNameNoIssues: headings do not name the project's internal
// issue numbers, which a reader of the documentation cannot look up.
func TestDocHeadingsNameNoIssues(t *testing.T) {
	root := filepath.Join("..", "..")
	for _, rel := range markdownFiles(t, root) {
		texts, lines := headings(t, filepath.Join(root, rel))
		for i, h := range texts {
			if issueRE.MatchString(h) {
				t.Errorf("%s:%d: heading %q names an issue number; say what the section is about instead", rel, lines[i], h)
			}
		}
	}
}
