//go:build unix

package sqlite

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"

	"github.com/discreet-crm/discreet"
)

// lockDir takes dir's lock, held until release: one process at a time may
// have the database open, which is what lets the memos trust that only
// this process's writer changes the file (memo.go). The kernel releases
// the lock of a process that dies.
func lockDir(dir string) (release func() error, err error) {
	f, err := os.OpenFile(filepath.Join(dir, "discreet.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, discreet.Wrap(err, discreet.EUnavailable, "cannot open the database's lock file")
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, discreet.Errorf(discreet.EUnavailable, "another process has the database in %s open", dir)
		}
		return nil, discreet.Wrap(err, discreet.EUnavailable, "cannot lock the database")
	}
	return f.Close, nil
}
