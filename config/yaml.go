package config

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LoadYAML reads a Flink-style config.yaml and sets every option in it.
//
// Keys may be nested maps, flat dotted keys, or any mix; they are joined
// with '.', so these three files are the same:
//
//	execution:
//	  checkpointing:
//	    interval: 10 s
//
//	execution.checkpointing.interval: 10 s
//
//	execution.checkpointing:
//	  interval: 10 s
//
// Values must be scalars and are read as the text written (so `10 s`,
// `"10 s"` and `10s` all work, and YAML's `yes`/`on` are not booleans). A
// null value (`key:` or `key: ~`) leaves the option unset. Lists and other
// non-scalar values are refused, as is the same option given twice (also
// under an alias and its canonical key). Unknown keys are refused, with a
// suggestion, just as for Set.
//
// Every problem in the file is reported, each prefixed with "file:line:",
// joined with errors.Join; the sentinels and *Error stay reachable through
// errors.Is/As. If there is any problem the Config is unchanged. An empty
// file sets nothing.
func (c *Config) LoadYAML(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: reading %s: %w", path, err)
	}
	return c.loadYAML(path, data)
}

// LoadYAMLBytes is LoadYAML for content already in memory; name is used in
// error messages in place of a file name.
func (c *Config) LoadYAMLBytes(name string, data []byte) error {
	return c.loadYAML(name, data)
}

type yamlEntry struct {
	key, value string
	line       int
	null       bool
}

func (c *Config) loadYAML(name string, data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("config: parsing %s: %w", name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // empty file
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil // file holding only comments or "~"
	}
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: the top level must be a map of option keys to values", name, root.Line)
	}

	var entries []yamlEntry
	var errs []error
	flattenYAML(name, "", root, &entries, &errs)

	staged := map[string]string{}
	firstLine := map[string]int{}
	for _, e := range entries {
		canon, text := "", ""
		if e.null {
			m, ok := lookupMeta(e.key)
			if !ok {
				_, _, err := normalize(e.key, "")
				errs = append(errs, fmt.Errorf("%s:%d: %w", name, e.line, err))
				continue
			}
			canon = m.key
		} else {
			var err error
			canon, text, err = normalize(e.key, e.value)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s:%d: %w", name, e.line, err))
				continue
			}
		}
		if line, dup := firstLine[canon]; dup {
			what := canon
			if e.key != canon {
				what = e.key + " (alias of " + canon + ")"
			}
			errs = append(errs, fmt.Errorf("%s:%d: option %s is already set on line %d", name, e.line, what, line))
			continue
		}
		firstLine[canon] = e.line
		if !e.null {
			staged[canon] = text
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	c.setAll(staged)
	return nil
}

func flattenYAML(name, prefix string, n *yaml.Node, out *[]yamlEntry, errs *[]error) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if kn.Kind != yaml.ScalarNode {
			*errs = append(*errs, fmt.Errorf("%s:%d: option keys must be plain text", name, kn.Line))
			continue
		}
		key := strings.TrimSpace(kn.Value)
		if prefix != "" {
			key = prefix + "." + key
		}
		for vn.Kind == yaml.AliasNode && vn.Alias != nil {
			vn = vn.Alias
		}
		switch vn.Kind {
		case yaml.MappingNode:
			flattenYAML(name, key, vn, out, errs)
		case yaml.ScalarNode:
			*out = append(*out, yamlEntry{key: key, value: vn.Value, line: kn.Line,
				null: vn.Tag == "!!null"})
		default:
			if _, known := lookupMeta(key); !known {
				_, _, err := normalize(key, "")
				*errs = append(*errs, fmt.Errorf("%s:%d: %w", name, kn.Line, err))
				continue
			}
			*errs = append(*errs, fmt.Errorf("%s:%d: %w", name, kn.Line,
				invalid(key, "", "a single value is required here, not a list or other structure")))
		}
	}
}
