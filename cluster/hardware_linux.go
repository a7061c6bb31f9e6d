package cluster

import (
	goruntime "runtime"
	"syscall"
)

// hostHardware describes this machine for the REST API's task manager
// fields: its cores and its physical and free memory in bytes.
func hostHardware() hardware {
	h := hardware{CPUCores: goruntime.NumCPU()}
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) == nil {
		unit := int64(si.Unit)
		if unit == 0 {
			unit = 1
		}
		h.PhysicalMemory, h.FreeMemory = int64(si.Totalram)*unit, int64(si.Freeram)*unit
	}
	return h
}
