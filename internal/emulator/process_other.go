//go:build !unix

package emulator

import "errors"

type process struct {
	out  *tailBuffer
	done chan struct{}

	waitErr error
}

func startProcess(name string, args []string) (*process, error) {
	return nil, errors.New("emulator: only supported on Unix (it relies on process groups)")
}

func (p *process) kill() error { return nil }
