package cli

import (
	"runtime/debug"
	"strings"
)

// Version is the version the build recorded (runtime/debug.ReadBuildInfo),
// as FormatVersion words it; "dev" when it recorded none.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	return FormatVersion(bi)
}

// FormatVersion words the version of bi: the main module's version ("dev"
// when the toolchain recorded none) and, when recorded, the commit, whether
// the tree was modified, and the Go version: "v1.2.3" for a go install'ed
// release, "v0.0.0-20260101120000-abcdef123456+dirty (commit abcdef123456...,
// modified, go1.26.0)" for a build in a checkout.
func FormatVersion(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	var details []string
	if rev != "" {
		c := "commit " + rev
		if modified == "true" {
			c += ", modified"
		}
		details = append(details, c)
	}
	if bi.GoVersion != "" {
		details = append(details, bi.GoVersion)
	}
	if len(details) > 0 {
		v += " (" + strings.Join(details, ", ") + ")"
	}
	return v
}
