// Package units formats quantities for people: byte counts in binary
// units, as logs, errors, the command line and the diagnosis print them.
package units

import "fmt"

// Bytes formats n as "512 B", "1.5 KiB", "3.0 GiB".
func Bytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	f, i := float64(n)/1024, 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}
