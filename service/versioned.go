package service

import "sync"

// versioned is what an instance compiles from a list the store versions
// (tombstones, sensitivity rules, protected contacts) and keeps while it is
// current. Every decision learns the list's version from the one document
// it reads anyway (config/neverLog), so a set kept here is never older than
// what was stored before the decision started: no time bound is needed.
type versioned[T any] struct {
	mu      sync.Mutex
	version int64
	val     T
	loaded  bool
}

// at returns the set at version v or later: the kept one when it is that
// new, else load's (one consistent read of the list and the version it was
// read at, compiled), kept when newer. Version 0 means nothing was ever
// stored: the zero T, without a read. A load error is returned as is: the
// caller fails closed.
func (c *versioned[T]) at(v int64, load func() (T, int64, error)) (T, error) {
	var zero T
	if v == 0 {
		return zero, nil
	}
	c.mu.Lock()
	if c.loaded && c.version >= v {
		val := c.val
		c.mu.Unlock()
		return val, nil
	}
	c.mu.Unlock()
	val, lv, err := load()
	if err != nil {
		return zero, err
	}
	lv = max(lv, v) // a list read after the version was seen holds at least it
	c.mu.Lock()
	if !c.loaded || lv > c.version {
		c.val, c.version, c.loaded = val, lv, true
	}
	c.mu.Unlock()
	return val, nil
}

// current is the kept set as it is, without asking whether it is current.
func (c *versioned[T]) current() T {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.val
}
