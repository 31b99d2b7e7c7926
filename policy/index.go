package policy

import (
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/discreet-crm/discreet"
)

// IndexKeys are the keys a store indexes a logged email by, so that a Never
// Log entry finds, with one lookup (EntryKeys), every email MatchNeverLog
// would block for it.
type IndexKeys struct {
	// Addresses are every address key: the email's normalized participants,
	// contacts, colleagues and owner, and the lenient keys (with a local
	// part) of participants that did not read as addresses.
	Addresses []string
	// Domains are every domain suffix of at least two labels of every key,
	// lenient ones included: a domain entry (always two labels or more)
	// covers a key exactly when it is one of them.
	Domains []string
}

// EmailIndexKeys are the keys of e; both stores index exactly these.
//
// Emails logged before lenient keys existed were indexed by their
// participants, contacts and colleagues (SQLite) and owner (Firestore) with
// the domain suffixes of each: the same keys this function still gives for
// those fields, so the old keys of an email are a subset of the new ones
// and every lookup that found an old email finds it still. What old emails
// lack are the keys of participants the old parser dropped; they cannot be
// recovered without the message, and EntryKeys looks up the spellings an
// old index may hold (Match.Spellings).
func EmailIndexKeys(e discreet.Email) IndexKeys {
	var k IndexKeys
	seenA := make(map[string]bool, len(e.Participants)+len(e.Lenient)+2)
	seenD := make(map[string]bool, 2*len(e.Participants)+2)
	add := func(key string) {
		if key == "" || seenA[key] {
			return
		}
		seenA[key] = true
		if !strings.HasPrefix(key, "@") { // a lenient key without a local part matches no address entry
			k.Addresses = append(k.Addresses, key)
		}
		for _, d := range DomainSuffixes(key) {
			if !seenD[d] {
				seenD[d] = true
				k.Domains = append(k.Domains, d)
			}
		}
	}
	for _, l := range [][]string{e.Participants, e.Contacts, e.Internal, {e.Owner}, e.Lenient} {
		for _, a := range l {
			add(a)
		}
	}
	return k
}

// EntryKeys is what a store looks up to find the emails entry covers:
// the address key of an address entry (with the spellings an index written
// before local parts were compared in NFC may hold), the domain key of a
// domain entry. stored is the pattern as the list stores it; "" when not
// known.
func EntryKeys(e Entry, stored string) (address string, spellings []string, domain string) {
	if e.Kind == KindDomain {
		return "", nil, e.Value
	}
	at := strings.LastIndexByte(e.Value, '@')
	add := func(s string) {
		if s != "" && s != e.Value && !slices.Contains(spellings, s) {
			spellings = append(spellings, s)
		}
	}
	// A decomposed local part was indexed as written; the pattern as stored
	// is how the old rules normalized the entry.
	add(norm.NFD.String(e.Value[:at]) + e.Value[at:])
	if strings.Contains(stored, "@") && !strings.HasPrefix(stored, "@") && !strings.HasPrefix(stored, "*@") {
		add(stored)
	}
	return e.Value, spellings, ""
}
