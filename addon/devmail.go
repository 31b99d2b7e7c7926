package addon

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"io/fs"
	"mime"
	"net/mail"
	"path"
	"sort"
	"strings"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// DevMail holds the preview's example messages: the demo org's customers
// writing to its reps. A message's id is its file name without ".eml".
//
//go:embed devmail/*.eml
var devMail embed.FS

// DevMail returns the embedded example messages as a file system whose
// root holds the .eml files.
func DevMail() fs.FS {
	sub, err := fs.Sub(devMail, "devmail")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// FixtureSource is a service.MessageSource for development and tests: it
// serves <id>.eml from the first of fsyss that has it, whatever the tokens.
// Wire the same source into service.Config.Gmail so LogEmail reads the
// message the card shows.
func FixtureSource(fsyss ...fs.FS) service.MessageSource { return fixtureSource(fsyss) }

type fixtureSource []fs.FS

func (s fixtureSource) Raw(_ context.Context, _ service.GmailTokens, id string) ([]byte, error) {
	name := id + ".eml"
	if strings.ContainsAny(id, `/\`) || !fs.ValidPath(name) {
		return nil, discreet.Errorf(discreet.ENotFound, "no message %q", id)
	}
	for _, fsys := range s {
		b, err := fs.ReadFile(fsys, name)
		if err == nil {
			return b, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, discreet.Wrap(err, discreet.EUnavailable, "cannot read message %q", id)
		}
	}
	return nil, discreet.Errorf(discreet.ENotFound, "no message %q", id)
}

// fixtureInfo describes one example message for the preview's picker.
type fixtureInfo struct {
	ID      string `json:"id"`
	Subject string `json:"subject"`
	From    string `json:"from"`
	To      string `json:"to"`
}

// list describes every message of the source, first source first.
func (s fixtureSource) list() []fixtureInfo {
	var out []fixtureInfo
	seen := map[string]bool{}
	for _, fsys := range s {
		names, _ := fs.Glob(fsys, "*.eml")
		sort.Strings(names)
		for _, n := range names {
			id := strings.TrimSuffix(path.Base(n), ".eml")
			if seen[id] {
				continue
			}
			seen[id] = true
			info := fixtureInfo{ID: id}
			if b, err := fs.ReadFile(fsys, n); err == nil {
				if m, err := mail.ReadMessage(bytes.NewReader(b)); err == nil {
					dec := new(mime.WordDecoder)
					info.Subject, _ = dec.DecodeHeader(m.Header.Get("Subject"))
					info.From, _ = dec.DecodeHeader(m.Header.Get("From"))
					info.To, _ = dec.DecodeHeader(m.Header.Get("To"))
				}
			}
			out = append(out, info)
		}
	}
	return out
}
