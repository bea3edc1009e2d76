package site

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// syncFolder makes everything written to the file system holding dir
// durable, in one call (syncfs): the files' bytes, the renames that put
// them in place and the directories made. One call for an export replaces
// a flush per file, which would wait on the disk once per file.
func syncFolder(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("export: sync: %w", err)
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("export: sync %s: %w", dir, err)
	}
	return nil
}
