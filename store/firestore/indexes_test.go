package firestore

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// collectionDocs maps every collection (group) the store writes to the
// document type it writes there; config holds two kinds of document.
var collectionDocs = map[string][]any{
	colConfig:       {orgDoc{}, versionDoc{}},
	colUsers:        {userDoc{}},
	colUserSettings: {userSettingsDoc{}},
	colTeams:        {teamDoc{}},
	colEntries:      {neverLogDoc{}},
	colPatterns:     {patternDoc{}},
	colContacts:     {contactDoc{}},
	colTimeline:     {timelineDoc{}},
	colEmails:       {emailDoc{}},
	colIntents:      {intentDoc{}},
	colAudit:        {auditDoc{}},
	colWatches:      {watchDoc{}},
	colMessages:     {claimDoc{}},
	colJobs:         {jobDoc{}},
	colParts:        {partDoc{}},
	colProtected:    {protectedDoc{}},
	// access.go
	colAccessRequests: {accessRequestDoc{}},
	colGrants:         {grantDoc{}},
}

// queried lists, per collection, every field the store's queries filter
// or order by (Where, OrderBy): those need their indexes, so no field
// override may exempt them. TestQueriedFieldsListed keeps this table
// complete.
var queried = map[string][]string{
	colContacts: {"email", "search", "owner"},
	colTimeline: {"audience", "sortKey"},
	colEmails:   {"matchAddresses", "matchDomains", "owner", "date", "shareExpiry"},
	colAudit:    {"sortKey", "emailOwner"},
	colIntents:  {"user", "recipientsKey", "consumed", "createdAt", "id"},
	// governance.go
	colTombstones: {"hash"},
	colJobs:       {"sortKey", "startedBy", "due"},
	colEntries:    {"pattern"},
	colUsers:      {"email"},
	colMessages:   {"updatedAt"},
	// protection.go
	colProtected: {"pattern"},
	// access.go
	colAccessRequests: {"requester", "createdAt", "pendingDeciders"},
	colGrants:         {"grantee", "grantedBy", "expiresAt"},
}

// hasField reports whether the dotted path names a field of one of docs
// (through nested structs, as Firestore maps them).
func hasField(docs []any, path string) bool {
	for _, d := range docs {
		if fieldOf(reflect.TypeOf(d), strings.Split(path, ".")) {
			return true
		}
	}
	return false
}

func fieldOf(t reflect.Type, path []string) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		// A map field (detail, contactAccess) takes any key below it.
		return t.Kind() == reflect.Map && len(path) > 0
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("firestore"), ",")
		if name == "" || name == "-" {
			continue
		}
		if name == path[0] {
			return len(path) == 1 || fieldOf(f.Type, path[1:])
		}
	}
	return false
}

// TestIndexesNameStoredFields: firestore.indexes.json is what Firestore
// deploys; a typo in it makes an index for nothing, or exempts nothing,
// and the query it was for fails only in production.
func TestIndexesNameStoredFields(t *testing.T) {
	raw, err := os.ReadFile("../../firestore.indexes.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Indexes []struct {
			CollectionGroup string `json:"collectionGroup"`
			QueryScope      string `json:"queryScope"`
			Fields          []struct {
				FieldPath   string `json:"fieldPath"`
				Order       string `json:"order"`
				ArrayConfig string `json:"arrayConfig"`
			} `json:"fields"`
		} `json:"indexes"`
		FieldOverrides []struct {
			CollectionGroup string `json:"collectionGroup"`
			FieldPath       string `json:"fieldPath"`
			TTL             bool   `json:"ttl"`
			Indexes         []struct {
				Order       string `json:"order"`
				ArrayConfig string `json:"arrayConfig"`
				QueryScope  string `json:"queryScope"`
			} `json:"indexes"`
		} `json:"fieldOverrides"`
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("firestore.indexes.json is not of the shape firebase deploy reads: %v", err)
	}
	if len(doc.Indexes) == 0 {
		t.Fatal("no composite index")
	}
	for i, ix := range doc.Indexes {
		docs, ok := collectionDocs[ix.CollectionGroup]
		if !ok {
			t.Errorf("index %d: the store writes no collection %q", i, ix.CollectionGroup)
			continue
		}
		if ix.QueryScope != "COLLECTION" && ix.QueryScope != "COLLECTION_GROUP" {
			t.Errorf("index %d: queryScope %q", i, ix.QueryScope)
		}
		if len(ix.Fields) < 2 {
			t.Errorf("index %d on %s: a composite index needs two fields or more", i, ix.CollectionGroup)
		}
		for _, f := range ix.Fields {
			if !hasField(docs, f.FieldPath) {
				t.Errorf("index %d: %s has no field %q", i, ix.CollectionGroup, f.FieldPath)
			}
			order := f.Order == "ASCENDING" || f.Order == "DESCENDING"
			if order == (f.ArrayConfig == "CONTAINS") || f.ArrayConfig != "" && f.ArrayConfig != "CONTAINS" {
				t.Errorf("index %d: field %s needs exactly one of order (ASCENDING, DESCENDING) or arrayConfig CONTAINS", i, f.FieldPath)
			}
		}
	}
	seen := map[string]bool{}
	for _, o := range doc.FieldOverrides {
		key := o.CollectionGroup + "." + o.FieldPath
		if seen[key] {
			t.Errorf("field override %s appears twice", key)
		}
		seen[key] = true
		docs, ok := collectionDocs[o.CollectionGroup]
		if !ok {
			t.Errorf("field override %s: the store writes no collection %q", key, o.CollectionGroup)
			continue
		}
		if !hasField(docs, o.FieldPath) {
			t.Errorf("field override %s: %s has no field %q", key, o.CollectionGroup, o.FieldPath)
		}
		// An override replaces the field's single-field indexes (and its
		// subfields'): a queried field loses the index its query needs.
		for _, q := range queried[o.CollectionGroup] {
			if q == o.FieldPath || strings.HasPrefix(q, o.FieldPath+".") {
				t.Errorf("field override %s: the store queries or orders by %s.%s; it must stay indexed", key, o.CollectionGroup, q)
			}
		}
	}
	// Sequential values (times, sort keys) that nothing queries are
	// exempt: an indexed sequential field caps its collection at about
	// 500 writes per second.
	for c, docs := range collectionDocs {
		for _, d := range docs {
			for _, f := range sequentialFields(reflect.TypeOf(d)) {
				if !slices.Contains(queried[c], f) && !seen[c+"."+f] && !seen[c+"."+strings.Split(f, ".")[0]] {
					t.Errorf("%s.%s holds sequential values nothing queries: exempt it (fieldOverrides, \"indexes\": [])", c, f)
				}
			}
		}
	}
}

// sequentialFields are the top-level fields of a document type that hold
// times or sort keys (by name: …At, date, sortKey, expiration, due).
func sequentialFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("firestore"), ",")
		if name == "" || name == "-" {
			continue
		}
		if strings.HasSuffix(name, "At") || strings.HasSuffix(name, "Until") || slices.Contains([]string{"date", "sortKey", "expiration", "due", "runAfter"}, name) {
			out = append(out, name)
		}
	}
	return out
}

// TestQueriedFieldsListed: every field name a query of the store filters
// or orders by (the literal first argument of Where and OrderBy in its
// source) is in the queried table, so an override exempting it fails the
// test above.
func TestQueriedFieldsListed(t *testing.T) {
	listed := map[string]bool{}
	for _, fs := range queried {
		for _, f := range fs {
			listed[f] = true
		}
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Where" && sel.Sel.Name != "OrderBy" {
				return true
			}
			if a, ok := call.Args[0].(*ast.SelectorExpr); ok && a.Sel.Name == "DocumentID" {
				return true // the document name: always indexed, no field to exempt
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: %s's field is not a string literal; list it in queried by hand and teach this test", fset.Position(call.Pos()), sel.Sel.Name)
				return true
			}
			field, _ := strconv.Unquote(lit.Value)
			found++
			if !listed[field] {
				t.Errorf("%s: the store queries %q: add it to queried under its collection", fset.Position(call.Pos()), field)
			}
			return true
		})
	}
	if found == 0 {
		t.Fatal("found no query in the store's source")
	}
}

// The test's own map must know the collections it checks against.
func TestCollectionDocsAreStoreTypes(t *testing.T) {
	if !hasField(collectionDocs[colTimeline], "summary.subject") || hasField(collectionDocs[colTimeline], "summary.nope") ||
		!hasField(collectionDocs[colAudit], "detail.reason") || hasField(collectionDocs[colEmails], "Subject") {
		t.Fatal("hasField does not follow the firestore tags")
	}
}
