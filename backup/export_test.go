package backup

// SetAfterSnapshot sets the hook that runs between a snapshot and the
// copying of its files (nil: none).
func SetAfterSnapshot(f func()) { afterSnapshot = f }
