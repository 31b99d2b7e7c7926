package firestore

import (
	"context"
	"sort"

	"cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/discreet-crm/discreet"
)

type orgDoc struct {
	InternalDomains   []string          `firestore:"internalDomains"`
	DefaultLog        bool              `firestore:"defaultLog"`
	DefaultVisibility string            `firestore:"defaultVisibility"`
	ContactAccess     map[string]string `firestore:"contactAccess"`
	HiddenEmails      string            `firestore:"hiddenEmails"`
	AdminsReadPrivate bool              `firestore:"adminsReadPrivate"`
	StoreBodies       bool              `firestore:"storeBodies"`
	MaxBodyBytes      int               `firestore:"maxBodyBytes"`
	Uploads           string            `firestore:"uploads"`
	// Retention is discreet.Retention as stored (its JSON field names).
	Retention        *retentionDoc `firestore:"retention,omitempty"`
	VisibilityPolicy string        `firestore:"visibilityPolicy,omitempty"`
}

func (s *Store) OrgSettings(ctx context.Context) (discreet.OrgSettings, error) {
	d, found, err := readDoc[orgDoc](ctx, s.c.Collection(colConfig).Doc(docOrg), "org settings")
	if err != nil {
		return discreet.OrgSettings{}, err
	}
	if !found {
		return discreet.DefaultOrgSettings(), nil
	}
	o := discreet.OrgSettings{
		InternalDomains:   d.InternalDomains,
		DefaultLog:        d.DefaultLog,
		DefaultVisibility: discreet.Visibility(d.DefaultVisibility),
		HiddenEmails:      discreet.HiddenEmails(d.HiddenEmails),
		AdminsReadPrivate: d.AdminsReadPrivate,
		StoreBodies:       d.StoreBodies,
		MaxBodyBytes:      d.MaxBodyBytes,
		Uploads:           discreet.Uploads(d.Uploads),
		Retention:         d.Retention.retention(),
	}
	if o.VisibilityPolicy, err = parseVisibilityPolicy(d.VisibilityPolicy); err != nil {
		return discreet.OrgSettings{}, err
	}
	if d.ContactAccess != nil {
		o.ContactAccess = make(map[discreet.Role]discreet.Scope, len(d.ContactAccess))
		for r, sc := range d.ContactAccess {
			o.ContactAccess[discreet.Role(r)] = discreet.Scope(sc)
		}
	}
	return o, nil
}

func (s *Store) PutOrgSettings(ctx context.Context, o discreet.OrgSettings) error {
	_, err := s.c.Collection(colConfig).Doc(docOrg).Set(ctx, toOrgDoc(o))
	return wrap(err, "cannot save the org settings")
}

func toOrgDoc(o discreet.OrgSettings) orgDoc {
	d := orgDoc{
		InternalDomains:   o.InternalDomains,
		DefaultLog:        o.DefaultLog,
		DefaultVisibility: string(o.DefaultVisibility),
		HiddenEmails:      string(o.HiddenEmails),
		AdminsReadPrivate: o.AdminsReadPrivate,
		StoreBodies:       o.StoreBodies,
		MaxBodyBytes:      o.MaxBodyBytes,
		Uploads:           string(o.Uploads),
		Retention:         toRetentionDoc(o.Retention),
		VisibilityPolicy:  visibilityPolicyText(o.VisibilityPolicy),
	}
	if o.ContactAccess != nil {
		d.ContactAccess = make(map[string]string, len(o.ContactAccess))
		for r, sc := range o.ContactAccess {
			d.ContactAccess[string(r)] = string(sc)
		}
	}
	return d
}

// userSettingsDoc is userSettings/{email}. neverLogVersion moves with the
// user's personal Never Log List (kept by the list's transactions), so a
// decision, which reads this document anyway, knows whether its compiled
// personal list is current.
type userSettingsDoc struct {
	Email             string `firestore:"email"`
	DefaultLog        *bool  `firestore:"defaultLog"`
	DefaultVisibility string `firestore:"defaultVisibility"`
	NeverLogVersion   int64  `firestore:"neverLogVersion"`
}

func (s *Store) UserSettings(ctx context.Context, email string) (discreet.UserSettings, error) {
	id, err := docID("email", email)
	if err != nil {
		return discreet.UserSettings{}, err
	}
	d, _, err := readDoc[userSettingsDoc](ctx, s.c.Collection(colUserSettings).Doc(id), "user's settings")
	if err != nil {
		return discreet.UserSettings{}, err
	}
	return discreet.UserSettings{DefaultLog: d.DefaultLog, DefaultVisibility: discreet.Visibility(d.DefaultVisibility), NeverLogVersion: d.NeverLogVersion}, nil
}

func (s *Store) PutUserSettings(ctx context.Context, email string, us discreet.UserSettings) error {
	id, err := docID("email", email)
	if err != nil {
		return err
	}
	// Merged, so the personal list's version stays as it is.
	_, err = s.c.Collection(colUserSettings).Doc(id).Set(ctx, map[string]any{
		"email": email, "defaultLog": us.DefaultLog, "defaultVisibility": string(us.DefaultVisibility),
	}, firestore.MergeAll)
	return wrap(err, "cannot save the user's settings")
}

type userDoc struct {
	Email     string   `firestore:"email"`
	Name      string   `firestore:"name"`
	Role      string   `firestore:"role"`
	Teams     []string `firestore:"teams"`
	CreatedAt string   `firestore:"createdAt"`
}

func toUserDoc(u discreet.User) userDoc {
	return userDoc{Email: u.Email, Name: u.Name, Role: string(u.Role), Teams: u.Teams, CreatedAt: ts(u.CreatedAt)}
}

func (d userDoc) user() discreet.User {
	return discreet.User{Email: d.Email, Name: d.Name, Role: discreet.Role(d.Role), Teams: d.Teams, CreatedAt: parseTS(d.CreatedAt)}
}

func (s *Store) userRef(email string) (*firestore.DocumentRef, error) {
	id, err := docID("email", email)
	if err != nil {
		return nil, err
	}
	return s.c.Collection(colUsers).Doc(id), nil
}

func (s *Store) User(ctx context.Context, email string) (discreet.User, error) {
	ref, err := s.userRef(email)
	if err != nil {
		return discreet.User{}, err
	}
	d, err := getDoc[userDoc](ctx, ref, "user")
	if err != nil {
		return discreet.User{}, err
	}
	return d.user(), nil
}

func (s *Store) PutUser(ctx context.Context, u discreet.User) error {
	ref, err := s.userRef(u.Email)
	if err != nil {
		return err
	}
	_, err = ref.Set(ctx, toUserDoc(u))
	return wrap(err, "cannot save the user")
}

// CreateUser relies on Create's precondition (the document must not exist)
// rather than a transaction: the loser of a race reads the winner's user.
func (s *Store) CreateUser(ctx context.Context, u discreet.User) (discreet.User, bool, error) {
	ref, err := s.userRef(u.Email)
	if err != nil {
		return u, false, err
	}
	_, err = ref.Create(ctx, toUserDoc(u))
	if err == nil {
		return u, true, nil
	}
	if status.Code(err) != codes.AlreadyExists {
		return u, false, wrap(err, "cannot create the user")
	}
	got, err := s.User(ctx, u.Email)
	return got, false, err
}

func (s *Store) Users(ctx context.Context, after string, limit int) ([]discreet.User, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	q := s.c.Collection(colUsers).OrderBy("email", firestore.Asc)
	if after != "" {
		q = q.Where("email", ">", after)
	}
	var out []discreet.User
	it := q.Limit(limit).Documents(ctx)
	defer it.Stop()
	for {
		snap, err := it.Next()
		if err == iterator.Done {
			return out, nil
		}
		if err != nil {
			return nil, wrap(err, "cannot list users")
		}
		var d userDoc
		if err := snap.DataTo(&d); err != nil {
			return nil, wrap(err, "cannot list users")
		}
		out = append(out, d.user())
	}
}

type teamDoc struct {
	ID   string `firestore:"id"`
	Name string `firestore:"name"`
}

func (s *Store) Team(ctx context.Context, teamID string) (discreet.Team, error) {
	id, err := docID("id", teamID)
	if err != nil {
		return discreet.Team{}, err
	}
	d, err := getDoc[teamDoc](ctx, s.c.Collection(colTeams).Doc(id), "team")
	if err != nil {
		return discreet.Team{}, err
	}
	return discreet.Team{ID: d.ID, Name: d.Name}, nil
}

func (s *Store) PutTeam(ctx context.Context, t discreet.Team) error {
	id, err := docID("id", t.ID)
	if err != nil {
		return err
	}
	_, err = s.c.Collection(colTeams).Doc(id).Set(ctx, teamDoc{ID: t.ID, Name: t.Name})
	return wrap(err, "cannot save the team")
}

// Teams reads every team: an org has tens of them.
func (s *Store) Teams(ctx context.Context) ([]discreet.Team, error) {
	snaps, err := s.c.Collection(colTeams).Documents(ctx).GetAll()
	if err != nil {
		return nil, wrap(err, "cannot list teams")
	}
	out := make([]discreet.Team, 0, len(snaps))
	for _, snap := range snaps {
		var d teamDoc
		if err := snap.DataTo(&d); err != nil {
			return nil, wrap(err, "cannot list teams")
		}
		out = append(out, discreet.Team{ID: d.ID, Name: d.Name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
