//go:build !linux

package site

import (
	"fmt"
	"os"
)

// syncFolder flushes the export folder's own directory entry. Systems
// other than Linux have no call that flushes one file system at once, so
// there an export is durable only once the system has written its cache
// back (in seconds, on its own).
func syncFolder(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("export: sync: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("export: sync %s: %w", dir, err)
	}
	return nil
}
