//go:build !linux

package cluster

import goruntime "runtime"

// hostHardware describes this machine for the REST API's task manager
// fields; memory sizes are known on Linux only.
func hostHardware() hardware { return hardware{CPUCores: goruntime.NumCPU()} }
