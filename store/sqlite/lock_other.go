//go:build !unix

package sqlite

import "errors"

// lockDir cannot lock here: Open keeps the memos off (memo.go).
func lockDir(dir string) (release func() error, err error) {
	return nil, errors.ErrUnsupported
}
