package sqlite

import (
	"context"
	"fmt"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// conn is one SQLite connection, used through SQLite's own API (modernc's
// pure-Go translation of it) rather than database/sql. Logging one email
// runs some thirty statements; through database/sql each cost a dozen
// allocations and, with a deadline on its context, a goroutine, which
// together came to most of the server's work per email. Here a
// statement is prepared once per connection and kept (stmts), arguments
// are copied into one buffer of the connection's and bound from there, and
// running a cached statement allocates nothing but the strings it
// returns.
//
// A conn is used by one goroutine at a time (the writer's, or a reader's
// borrower), so it is opened without SQLite's per-connection mutex.
//
// Contexts: a statement checks its context before it starts, and a query
// every 256 rows; a statement is not interrupted mid-step. The store's
// statements are bounded index ranges, and the writer runs without the
// caller's cancellation anyway (write).
type conn struct {
	tls   *libc.TLS
	db    uintptr
	stmts map[string]*stmt
	// out is C memory for out-parameters (a handle, a tail pointer).
	out uintptr
	// buf is C memory that arguments are copied into before binding.
	buf     uintptr
	bufSize int
	// touched are the cached tables (memo.go) the statements run since the
	// writer last took it may have changed.
	touched uint32
	// rows holds the arguments of a rowsInsert while it is built (rows.go).
	rows []arg
}

// maxCachedStmts bounds a connection's statements: the store's texts are a
// fixed set, but a few are built per call (one per number of keys).
const maxCachedStmts = 256

// bufKeep is the largest argument buffer kept between statements.
const bufKeep = 1 << 20

// openConn opens path and runs pragmas on it, in order.
func openConn(path string, pragmas ...string) (*conn, error) {
	c := &conn{tls: libc.NewTLS(), stmts: map[string]*stmt{}}
	c.out = sqlite3.Xsqlite3_malloc64(c.tls, 16)
	if c.out == 0 {
		c.tls.Close()
		return nil, fmt.Errorf("sqlite: out of memory")
	}
	zPath, err := libc.CString(path)
	if err != nil {
		c.close()
		return nil, err
	}
	rc := sqlite3.Xsqlite3_open_v2(c.tls, zPath, c.out,
		sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_CREATE|sqlite3.SQLITE_OPEN_NOMUTEX, 0)
	libc.Xfree(c.tls, zPath)
	c.db = libc.AtomicLoadPUintptr(c.out)
	if rc != sqlite3.SQLITE_OK {
		err := c.error(rc, "open "+path)
		c.close()
		return nil, err
	}
	sqlite3.Xsqlite3_extended_result_codes(c.tls, c.db, 1)
	for _, p := range pragmas {
		if err := c.script(context.Background(), "PRAGMA "+p); err != nil {
			c.close()
			return nil, err
		}
	}
	return c, nil
}

// close finalizes every statement and closes the connection.
func (c *conn) close() error {
	var err error
	for q, st := range c.stmts {
		sqlite3.Xsqlite3_finalize(c.tls, st.p)
		delete(c.stmts, q)
	}
	if c.db != 0 {
		if rc := sqlite3.Xsqlite3_close_v2(c.tls, c.db); rc != sqlite3.SQLITE_OK {
			err = c.error(rc, "close")
		}
		c.db = 0
	}
	if c.buf != 0 {
		sqlite3.Xsqlite3_free(c.tls, c.buf)
		c.buf = 0
	}
	if c.out != 0 {
		sqlite3.Xsqlite3_free(c.tls, c.out)
		c.out = 0
	}
	c.tls.Close()
	return err
}

// dbError is an error SQLite reported, with its extended result code.
type dbError struct {
	code int32
	msg  string
}

func (e *dbError) Error() string { return "sqlite: " + e.msg }

// primary is the error's primary result code (SQLITE_BUSY, …).
func (e *dbError) primary() int32 { return e.code & 0xff }

func (c *conn) error(rc int32, what string) error {
	msg := ""
	if c.db != 0 {
		msg = libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db))
	}
	if msg == "" {
		msg = libc.GoString(sqlite3.Xsqlite3_errstr(c.tls, rc))
	}
	if c.db != 0 {
		if ext := sqlite3.Xsqlite3_extended_errcode(c.tls, c.db); ext&0xff == rc&0xff {
			rc = ext
		}
	}
	return &dbError{code: rc, msg: fmt.Sprintf("%s (%s, %d)", msg, what, rc)}
}

// script runs every statement of text, none cached (migrations, pragmas).
func (c *conn) script(ctx context.Context, text string) error {
	c.touched = tabAll
	zSQL, err := libc.CString(text)
	if err != nil {
		return err
	}
	defer libc.Xfree(c.tls, zSQL)
	tail := c.out + 8
	for p := zSQL; libc.AtomicLoadPUint8(p) != 0; {
		if err := ctx.Err(); err != nil {
			return err
		}
		if rc := sqlite3.Xsqlite3_prepare_v3(c.tls, c.db, p, -1, 0, c.out, tail); rc != sqlite3.SQLITE_OK {
			return c.error(rc, "prepare")
		}
		pstmt := libc.AtomicLoadPUintptr(c.out)
		p = libc.AtomicLoadPUintptr(tail)
		if pstmt == 0 { // white space or a comment
			continue
		}
		rc := sqlite3.Xsqlite3_step(c.tls, pstmt)
		for rc == sqlite3.SQLITE_ROW {
			rc = sqlite3.Xsqlite3_step(c.tls, pstmt)
		}
		frc := sqlite3.Xsqlite3_finalize(c.tls, pstmt)
		if rc != sqlite3.SQLITE_DONE {
			return c.error(rc, "step")
		}
		if frc != sqlite3.SQLITE_OK {
			return c.error(frc, "finalize")
		}
	}
	return nil
}

// arg is one statement argument; text, num, blob and null make them.
// Arguments are values, so a call's arguments stay on its stack.
type arg struct {
	kind uint8
	s    string
	n    int64
	b    []byte
}

const (
	argNull uint8 = iota
	argText
	argInt
	argBlob
)

func text(s string) arg { return arg{kind: argText, s: s} }
func num[T ~int | ~int64](n T) arg {
	return arg{kind: argInt, n: int64(n)}
}
func blob(b []byte) arg { return arg{kind: argBlob, b: b} }
func flag(b bool) arg {
	if b {
		return num(1)
	}
	return num(0)
}
func null() arg { return arg{kind: argNull} }

// stmt is a prepared statement; while a query runs it is also its rows.
type stmt struct {
	c      *conn
	p      uintptr
	params int
	writes uint32 // writeMask of its text
	cached bool
	busy   bool
	ctx    context.Context
	err    error
	rows   int
	// row says whether the last step gave a row (a query's first step
	// runs when it starts).
	row   bool
	first bool
}

// prepare returns the cached statement for query, or a new one when it is
// in use (the same text run inside its own rows loop) or the cache is full.
func (c *conn) prepare(query string) (*stmt, error) {
	if st, ok := c.stmts[query]; ok && !st.busy {
		st.busy = true
		return st, nil
	}
	zSQL, err := libc.CString(query)
	if err != nil {
		return nil, err
	}
	rc := sqlite3.Xsqlite3_prepare_v3(c.tls, c.db, zSQL, int32(len(query)), sqlite3.SQLITE_PREPARE_PERSISTENT, c.out, 0)
	libc.Xfree(c.tls, zSQL)
	if rc != sqlite3.SQLITE_OK {
		return nil, c.error(rc, "prepare")
	}
	st := &stmt{c: c, p: libc.AtomicLoadPUintptr(c.out), busy: true}
	if st.p == 0 {
		return nil, fmt.Errorf("sqlite: no statement in %q", query)
	}
	st.params = int(sqlite3.Xsqlite3_bind_parameter_count(c.tls, st.p))
	st.writes = writeMask(query)
	if _, taken := c.stmts[query]; !taken && len(c.stmts) < maxCachedStmts {
		st.cached = true
		c.stmts[query] = st
	}
	return st, nil
}

// bind binds args to st's parameters 1…n.
func (st *stmt) bind(args []arg) error {
	c := st.c
	c.touched |= st.writes
	if len(args) != st.params {
		// A parameter left unbound would keep its value from the last run.
		return fmt.Errorf("sqlite: %d arguments for %d parameters", len(args), st.params)
	}
	size := 0
	for i := range args {
		size += len(args[i].s) + len(args[i].b)
	}
	if size+1 > c.bufSize {
		n := max(size+1, 2*c.bufSize, 4096)
		p := sqlite3.Xsqlite3_realloc64(c.tls, c.buf, sqlite3.Tsqlite3_uint64(n))
		if p == 0 {
			return fmt.Errorf("sqlite: out of memory for %d bytes of arguments", size)
		}
		c.buf, c.bufSize = p, n
	}
	buf := libc.GoBytes(c.buf, c.bufSize)
	off := 0
	for i := range args {
		a := &args[i]
		idx := int32(i + 1)
		var rc int32
		switch a.kind {
		case argNull:
			rc = sqlite3.Xsqlite3_bind_null(c.tls, st.p, idx)
		case argInt:
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, st.p, idx, a.n)
		case argText:
			n := copy(buf[off:], a.s)
			rc = sqlite3.Xsqlite3_bind_text(c.tls, st.p, idx, c.buf+uintptr(off), int32(n), sqlite3.SQLITE_TRANSIENT)
			off += n
		case argBlob:
			if a.b == nil {
				rc = sqlite3.Xsqlite3_bind_null(c.tls, st.p, idx)
				break
			}
			n := copy(buf[off:], a.b)
			rc = sqlite3.Xsqlite3_bind_blob(c.tls, st.p, idx, c.buf+uintptr(off), int32(n), sqlite3.SQLITE_TRANSIENT)
			off += n
		}
		if rc != sqlite3.SQLITE_OK {
			return c.error(rc, "bind")
		}
	}
	if c.bufSize > bufKeep {
		sqlite3.Xsqlite3_free(c.tls, c.buf)
		c.buf, c.bufSize = 0, 0
	}
	return nil
}

// release resets st for its next use, or finalizes it when it is not
// cached.
func (st *stmt) release() {
	if st.cached {
		sqlite3.Xsqlite3_reset(st.c.tls, st.p)
		st.busy, st.ctx, st.err = false, nil, nil
		return
	}
	sqlite3.Xsqlite3_finalize(st.c.tls, st.p)
}

// exec runs a statement that returns no rows and says how many rows it
// changed.
func (c *conn) exec(ctx context.Context, query string, args ...arg) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	st, err := c.prepare(query)
	if err != nil {
		return 0, err
	}
	defer st.release()
	if err := st.bind(args); err != nil {
		return 0, err
	}
	rc := sqlite3.Xsqlite3_step(c.tls, st.p)
	for rc == sqlite3.SQLITE_ROW {
		rc = sqlite3.Xsqlite3_step(c.tls, st.p)
	}
	if rc != sqlite3.SQLITE_DONE {
		return 0, c.error(rc, "step")
	}
	return sqlite3.Xsqlite3_changes64(c.tls, c.db), nil
}

// query starts a statement that returns rows:
//
//	rows, err := c.query(ctx, q, args...)
//	if err != nil { … }
//	defer rows.close()
//	for rows.next() { … rows.text(0) … }
//	if err := rows.error(); err != nil { … }
func (c *conn) query(ctx context.Context, query string, args ...arg) (*stmt, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st, err := c.prepare(query)
	if err != nil {
		return nil, err
	}
	if err := st.bind(args); err != nil {
		st.release()
		return nil, err
	}
	st.ctx, st.rows, st.first = ctx, 0, true
	st.step()
	if st.err != nil {
		err := st.err
		st.release()
		return nil, err
	}
	return st, nil
}

func (st *stmt) step() {
	switch rc := sqlite3.Xsqlite3_step(st.c.tls, st.p); rc {
	case sqlite3.SQLITE_ROW:
		st.row = true
	case sqlite3.SQLITE_DONE:
		st.row = false
	default:
		st.row, st.err = false, st.c.error(rc, "step")
	}
}

// next moves to the next row; false at the end or on an error.
func (st *stmt) next() bool {
	if st.err != nil {
		return false
	}
	if st.first {
		st.first = false
		return st.row
	}
	if !st.row {
		return false
	}
	st.rows++
	if st.rows%256 == 0 {
		if err := st.ctx.Err(); err != nil {
			st.row, st.err = false, err
			return false
		}
	}
	st.step()
	return st.row
}

// error is what ended the rows early, if anything did.
func (st *stmt) error() error { return st.err }

func (st *stmt) close() { st.release() }

// one reads the single row of a query with scan; found is false when there
// is none.
func (c *conn) one(ctx context.Context, scan func(r *stmt) error, query string, args ...arg) (found bool, err error) {
	st, err := c.query(ctx, query, args...)
	if err != nil {
		return false, err
	}
	defer st.release()
	if !st.next() {
		return false, st.err
	}
	return true, scan(st)
}

// queryAll reads every row of a query with scan, in order.
func queryAll[T any](ctx context.Context, c *conn, scan func(r *stmt) T, query string, args ...arg) ([]T, error) {
	st, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer st.release()
	var out []T
	for st.next() {
		out = append(out, scan(st))
	}
	return out, st.err
}

// text returns column i as a string ("" for NULL).
func (st *stmt) text(i int) string {
	n := sqlite3.Xsqlite3_column_bytes(st.c.tls, st.p, int32(i))
	if n == 0 {
		return ""
	}
	p := sqlite3.Xsqlite3_column_text(st.c.tls, st.p, int32(i))
	s := string(libc.GoBytes(p, int(n)))
	return s
}

// int returns column i as an integer (0 for NULL).
func (st *stmt) int(i int) int64 {
	return sqlite3.Xsqlite3_column_int64(st.c.tls, st.p, int32(i))
}

// null reports whether column i is NULL.
func (st *stmt) null(i int) bool {
	return sqlite3.Xsqlite3_column_type(st.c.tls, st.p, int32(i)) == sqlite3.SQLITE_NULL
}

// blob returns column i as bytes: nil for NULL, empty but not nil for an
// empty value.
func (st *stmt) blob(i int) []byte {
	if st.null(i) {
		return nil
	}
	p := sqlite3.Xsqlite3_column_blob(st.c.tls, st.p, int32(i))
	n := sqlite3.Xsqlite3_column_bytes(st.c.tls, st.p, int32(i))
	out := make([]byte, n)
	if n > 0 {
		copy(out, libc.GoBytes(p, int(n)))
	}
	return out
}

// columns is how many columns st's rows have.
func (st *stmt) columns() int {
	return int(sqlite3.Xsqlite3_column_count(st.c.tls, st.p))
}
