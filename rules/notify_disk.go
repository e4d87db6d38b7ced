package rules

// DiskAlertFraction is how full (used / (used + available to users)) the
// data directory's disk must be for an admin alert.
const DiskAlertFraction = 0.95

// DataDiskUsage reports how full the disk holding the data directory is,
// as df counts it: used / (used + available to unprivileged users).
func (r *Rules) DataDiskUsage() (float64, error) { return diskUsage(r.files.disk.root) }
