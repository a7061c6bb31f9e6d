package weir

import "github.com/weirstream/weir/internal/testutil"

// SetProcessingClock makes the jobs e runs read processing time from c
// instead of the system clock, so that tests of processing-time behaviour
// (periodic watermarks, idleness, processing-time timers) move time by
// hand instead of sleeping.
func SetProcessingClock(e *Environment, c *testutil.ManualClock) { e.clock = c }
