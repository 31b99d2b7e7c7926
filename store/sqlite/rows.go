package sqlite

import (
	"context"
	"fmt"
	"strings"
)

// maxRows is the most rows one rowsInsert statement writes; more take
// several statements. It bounds the statement texts a connection caches.
const maxRows = 8

// maxKeptRows bounds the rows whose argument memory a connection keeps.
const maxKeptRows = 64

// rowsInsert is an INSERT of one to maxRows rows of the same shape, its
// statement texts made once.
type rowsInsert struct {
	width int             // placeholders per row
	texts [maxRows]string // texts[n-1] writes n rows
}

// newRowsInsert is head, then row n times separated by commas, then tail.
func newRowsInsert(head, row, tail string) *rowsInsert {
	r := &rowsInsert{width: strings.Count(row, "?")}
	for n := 1; n <= maxRows; n++ {
		r.texts[n-1] = head + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ") + tail
	}
	return r
}

// exec writes one row per width args, maxRows at a time; none is nothing.
// args may be c.rows grown: exec keeps its memory for the next rows and
// drops its strings (binding copied them).
func (r *rowsInsert) exec(ctx context.Context, c *conn, args []arg) error {
	all := args
	defer func() {
		clear(all)
		if cap(all) <= maxKeptRows*r.width {
			c.rows = all[:0]
		}
	}()
	if len(args)%r.width != 0 {
		return fmt.Errorf("sqlite: %d arguments for rows of %d", len(args), r.width)
	}
	for len(args) > 0 {
		n := min(len(args)/r.width, maxRows)
		if _, err := c.exec(ctx, r.texts[n-1], args[:n*r.width]...); err != nil {
			return err
		}
		args = args[n*r.width:]
	}
	return nil
}
