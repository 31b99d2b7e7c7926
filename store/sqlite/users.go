package sqlite

import (
	"context"
	"slices"

	"github.com/discreet-crm/discreet"
)

// userColumns are a users row, in userArgs' order.
const userColumns = "email, name, role, teams, created_at"

func userArgs(u discreet.User) [5]arg {
	return [5]arg{text(u.Email), text(u.Name), text(string(u.Role)), listArg(u.Teams), timeArg(u.CreatedAt)}
}

func scanUser(r *stmt) (discreet.User, error) {
	u := discreet.User{Email: r.text(0), Name: r.text(1), Role: discreet.Role(r.text(2))}
	var err error
	if u.Teams, err = r.list(3); err != nil {
		return u, err
	}
	u.CreatedAt, err = r.time(4)
	return u, err
}

const (
	insertUser = "INSERT INTO users (" + userColumns + ") VALUES (?, ?, ?, ?, ?)"
	putUser    = insertUser + ` ON CONFLICT (email) DO UPDATE SET name = excluded.name, role = excluded.role,
		teams = excluded.teams, created_at = excluded.created_at`
)

// User returns one user; every request signs in with it (memo.go).
func (s *Store) User(ctx context.Context, email string) (discreet.User, error) {
	return s.users.get(email, func() (discreet.User, error) {
		var u discreet.User
		err := s.read(ctx, "user", func(c *conn) error {
			var err error
			u, err = getUser(ctx, c, email)
			return err
		})
		return u, err
	}, func(u discreet.User) discreet.User {
		u.Teams = slices.Clone(u.Teams)
		return u
	})
}

func getUser(ctx context.Context, c *conn, email string) (discreet.User, error) {
	var u discreet.User
	found, err := c.one(ctx, func(r *stmt) (err error) {
		u, err = scanUser(r)
		return err
	}, "SELECT "+userColumns+" FROM users WHERE email = ?", text(email))
	if err == nil && !found {
		err = notFound("user")
	}
	return u, err
}

// PutUser creates or replaces a user.
func (s *Store) PutUser(ctx context.Context, u discreet.User) error {
	if u.Email == "" {
		return discreet.FieldError("email", "is required")
	}
	return s.write(ctx, "put user", func(ctx context.Context, c *conn) error {
		a := userArgs(u)
		_, err := c.exec(ctx, putUser, a[:]...)
		return err
	})
}

// CreateUser creates u unless its email is taken, and returns the stored user.
func (s *Store) CreateUser(ctx context.Context, u discreet.User) (discreet.User, bool, error) {
	if u.Email == "" {
		return u, false, discreet.FieldError("email", "is required")
	}
	var stored discreet.User
	var created bool
	err := s.write(ctx, "create user", func(ctx context.Context, c *conn) error {
		a := userArgs(u)
		n, err := c.exec(ctx, insertUser+" ON CONFLICT (email) DO NOTHING", a[:]...)
		if err != nil {
			return err
		}
		created = n == 1
		stored, err = getUser(ctx, c, u.Email)
		return err
	})
	return stored, created, err
}

// Users lists users by email after the given one.
func (s *Store) Users(ctx context.Context, after string, limit int) ([]discreet.User, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	var out []discreet.User
	err := s.read(ctx, "users", func(c *conn) error {
		rows, err := c.query(ctx, "SELECT "+userColumns+" FROM users WHERE email > ? ORDER BY email LIMIT ?", text(after), num(limit))
		if err != nil {
			return err
		}
		defer rows.close()
		for rows.next() {
			u, err := scanUser(rows)
			if err != nil {
				return err
			}
			out = append(out, u)
		}
		return rows.error()
	})
	return out, err
}

// Team returns one team.
func (s *Store) Team(ctx context.Context, id string) (discreet.Team, error) {
	t := discreet.Team{ID: id}
	err := s.read(ctx, "team", func(c *conn) error {
		found, err := c.one(ctx, func(r *stmt) error { t.Name = r.text(0); return nil },
			"SELECT name FROM teams WHERE id = ?", text(id))
		if err == nil && !found {
			err = notFound("team")
		}
		return err
	})
	if err != nil {
		return discreet.Team{}, err
	}
	return t, nil
}

// PutTeam creates or renames a team.
func (s *Store) PutTeam(ctx context.Context, t discreet.Team) error {
	if t.ID == "" {
		return discreet.FieldError("id", "is required")
	}
	return s.write(ctx, "put team", func(ctx context.Context, c *conn) error {
		_, err := c.exec(ctx, `INSERT INTO teams (id, name) VALUES (?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name`, text(t.ID), text(t.Name))
		return err
	})
}

// Teams lists every team by id.
func (s *Store) Teams(ctx context.Context) ([]discreet.Team, error) {
	var out []discreet.Team
	err := s.read(ctx, "teams", func(c *conn) error {
		var err error
		out, err = queryAll(ctx, c, func(r *stmt) discreet.Team { return discreet.Team{ID: r.text(0), Name: r.text(1)} },
			"SELECT id, name FROM teams ORDER BY id")
		return err
	})
	return out, err
}
