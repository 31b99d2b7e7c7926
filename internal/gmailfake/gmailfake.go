// Package gmailfake is an in-process stand-in for the Gmail API in tests:
// users.messages.get (raw, full, metadata), users.messages.list,
// users.history.list and users.watch, with per-user mailboxes chosen by the
// bearer token, scripted failures (429 with Retry-After, 5xx, slow answers)
// and a record of every request. Point the gmail client (or
// DISCREET_GMAIL_ENDPOINT) at URL().
package gmailfake

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/discreet-crm/discreet/message"
)

// DefaultToken is a bearer token New maps to DefaultUser, so a test that
// does not care about users can use it right away.
const (
	DefaultToken = "fake-oauth-token"
	DefaultUser  = "anna@acme.example"
)

// firstHistoryID is where every mailbox's history starts.
const firstHistoryID = 1000

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   string
	// User is the mailbox the bearer token maps to; "" when it maps to none.
	User string
	// Status is what the fake answered.
	Status int
}

type stored struct {
	id, threadID string
	raw          []byte
	labels       []string
	historyID    uint64
}

type historyRecord struct {
	id  uint64
	msg *stored
}

type mailbox struct {
	messages map[string]*stored
	order    []*stored // in the order they were added
	history  []historyRecord
	next     uint64 // the mailbox's current historyId
	floor    uint64 // history older than this is gone (404)
}

type fault struct {
	status     int
	retryAfter string
	delay      time.Duration
}

// Server is a fake Gmail API. Its methods are safe for concurrent use.
type Server struct {
	srv      *httptest.Server
	fixtures string

	mu          sync.Mutex
	tokens      map[string]string // bearer token → user
	accessToken string
	boxes       map[string]*mailbox
	faults      []fault
	userFaults  map[string][]fault // by the mailbox the token maps to
	requests    []Request
}

// New starts a fake serving the *.eml files of fixturesDir (id = file name
// without .eml, in every user's mailbox, label INBOX) and stops it when the
// test ends. fixturesDir may be "".
func New(t testing.TB, fixturesDir string) *Server {
	t.Helper()
	s := &Server{
		fixtures: fixturesDir,
		tokens:   map[string]string{DefaultToken: DefaultUser},
		boxes:    map[string]*mailbox{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the API base to pass as the gmail client's endpoint (the
// generated client appends "gmail/v1/users/…").
func (s *Server) URL() string { return s.srv.URL + "/" }

// Client is an HTTP client for the fake.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close stops the server early (New already arranges it at test end).
func (s *Server) Close() { s.srv.Close() }

// SetToken maps an OAuth bearer token to the user whose mailbox it reads.
func (s *Server) SetToken(token, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = user
}

// RequireAccessToken makes users.messages.get demand header
// X-Goog-Gmail-Access-Token equal to token (the add-on's per-message
// token); "" stops demanding it.
func (s *Server) RequireAccessToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessToken = token
}

// AddMessage puts a message into user's mailbox (replacing one with the
// same id) and records a messageAdded history entry. No labels means INBOX.
// It returns the mailbox's new historyId.
func (s *Server) AddMessage(user, id string, raw []byte, labels ...string) uint64 {
	if len(labels) == 0 {
		labels = []string{"INBOX"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.box(user)
	b.next++
	m := &stored{id: id, threadID: threadID(raw, id), raw: raw, labels: slices.Clone(labels), historyID: b.next}
	if old, ok := b.messages[id]; ok {
		b.order = slices.DeleteFunc(b.order, func(o *stored) bool { return o == old })
	}
	b.messages[id] = m
	b.order = append(b.order, m)
	b.history = append(b.history, historyRecord{id: b.next, msg: m})
	return b.next
}

// HistoryID is user's current historyId.
func (s *Server) HistoryID(user string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.box(user).next
}

// SetHistoryFloor makes history.list answer 404 for any startHistoryId
// below floor, as Gmail does once old history has expired.
func (s *Server) SetHistoryFloor(user string, floor uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.box(user).floor = floor
}

// FailNext makes the next n requests answer status, with header
// Retry-After when retryAfter is not "".
func (s *Server) FailNext(n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{status: status, retryAfter: retryAfter})
	}
}

// FailUser makes the next n requests for user's mailbox (by bearer token)
// answer status; requests for other mailboxes are served normally.
func (s *Server) FailUser(user string, n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.userFaults == nil {
		s.userFaults = map[string][]fault{}
	}
	for range n {
		s.userFaults[user] = append(s.userFaults[user], fault{status: status})
	}
}

// DelayNext makes the next n requests wait d (or until the client gives
// up) before being served normally.
func (s *Server) DelayNext(n int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{delay: d})
	}
}

// Requests returns a copy of every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func (s *Server) box(user string) *mailbox {
	b, ok := s.boxes[user]
	if !ok {
		b = &mailbox{messages: map[string]*stored{}, next: firstHistoryID}
		s.boxes[user] = b
	}
	return b
}

// threadID makes replies share a thread, as Gmail does: the hash of the
// first References id, else of the Message-ID, else of the Gmail id.
func threadID(raw []byte, id string) string {
	key := id
	if m, err := message.Parse(raw, message.Options{}); err == nil {
		switch {
		case len(m.References) > 0:
			key = m.References[0]
		case m.InReplyTo != "":
			key = m.InReplyTo
		case m.MessageID != "":
			key = m.MessageID
		}
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:8])
}

var (
	pathMessage  = pathPattern("messages/{id}")
	pathMessages = pathPattern("messages")
	pathHistory  = pathPattern("history")
	pathWatch    = pathPattern("watch")
)

func pathPattern(rest string) string { return "/gmail/v1/users/{user}/" + rest }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: string(body)}
	rw := &recorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		rec.Status = rw.status
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
	}()

	s.mu.Lock()
	var f *fault
	if len(s.faults) > 0 {
		f = &s.faults[0]
		s.faults = s.faults[1:]
	}
	user, known := s.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	if uf := s.userFaults[user]; f == nil && known && len(uf) > 0 {
		f, s.userFaults[user] = &uf[0], uf[1:]
	}
	accessToken := s.accessToken
	s.mu.Unlock()
	rec.User = user

	if f != nil && f.delay > 0 {
		t := time.NewTimer(f.delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			rw.status = 499 // the client went away
			return
		}
	}
	if f != nil && f.status != 0 {
		if f.retryAfter != "" {
			rw.Header().Set("Retry-After", f.retryAfter)
		}
		apiError(rw, f.status, "scripted failure")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") || !known {
		apiError(rw, http.StatusUnauthorized, "Request had invalid authentication credentials.")
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathMessage, func(w http.ResponseWriter, r *http.Request) {
		if accessToken != "" && r.Header.Get("X-Goog-Gmail-Access-Token") != accessToken {
			apiError(w, http.StatusForbidden, "Request had insufficient authentication scopes.")
			return
		}
		s.getMessage(w, r, user)
	})
	mux.HandleFunc("GET "+pathMessages, func(w http.ResponseWriter, r *http.Request) { s.listMessages(w, r, user) })
	mux.HandleFunc("GET "+pathHistory, func(w http.ResponseWriter, r *http.Request) { s.listHistory(w, r, user) })
	mux.HandleFunc("POST "+pathWatch, func(w http.ResponseWriter, r *http.Request) { s.watch(w, r, user) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "Not Found")
	})
	if _, pattern := mux.Handler(r); pattern != "/" {
		// The path's userId must be "me" or the token's own user.
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/gmail/v1/users/"), "/")
		if u, _ := url.PathUnescape(parts[0]); u != "me" && !strings.EqualFold(u, user) {
			apiError(rw, http.StatusForbidden, "Delegation denied for "+user)
			return
		}
	}
	mux.ServeHTTP(rw, r)
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// lookup finds id in user's mailbox, else among the fixture files.
func (s *Server) lookup(user, id string) (*stored, bool) {
	s.mu.Lock()
	if m, ok := s.box(user).messages[id]; ok {
		s.mu.Unlock()
		return m, true
	}
	s.mu.Unlock()
	if s.fixtures == "" || id == "" || strings.ContainsAny(id, `/\`) || strings.HasPrefix(id, ".") {
		return nil, false
	}
	raw, err := os.ReadFile(filepath.Join(s.fixtures, id+".eml"))
	if err != nil {
		return nil, false
	}
	return &stored{id: id, threadID: threadID(raw, id), raw: raw, labels: []string{"INBOX"}, historyID: firstHistoryID}, true
}

type header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type payload struct {
	MimeType string   `json:"mimeType"`
	Headers  []header `json:"headers"`
}

type messageJSON struct {
	ID           string   `json:"id"`
	ThreadID     string   `json:"threadId"`
	LabelIDs     []string `json:"labelIds,omitempty"`
	Snippet      string   `json:"snippet,omitempty"`
	HistoryID    string   `json:"historyId,omitempty"`
	InternalDate string   `json:"internalDate,omitempty"`
	SizeEstimate int      `json:"sizeEstimate,omitempty"`
	Raw          string   `json:"raw,omitempty"`
	Payload      *payload `json:"payload,omitempty"`
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request, user string) {
	id := r.PathValue("id")
	m, ok := s.lookup(user, id)
	if !ok {
		apiError(w, http.StatusNotFound, "Requested entity was not found.")
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "full"
	}
	out := messageJSON{
		ID: m.id, ThreadID: m.threadID, LabelIDs: m.labels,
		HistoryID: strconv.FormatUint(m.historyID, 10), SizeEstimate: len(m.raw),
	}
	parsed, err := message.Parse(m.raw, message.Options{})
	date := time.Now()
	if err == nil {
		out.Snippet = parsed.Snippet
		if !parsed.Date.IsZero() {
			date = parsed.Date
		}
	}
	out.InternalDate = strconv.FormatInt(date.UnixMilli(), 10)
	switch format {
	case "raw":
		out.Raw = base64.URLEncoding.EncodeToString(m.raw)
	case "full", "metadata":
		out.Payload = &payload{MimeType: "message/rfc822", Headers: headersOf(m.raw, r.URL.Query()["metadataHeaders"])}
	case "minimal":
	default:
		apiError(w, http.StatusBadRequest, "Invalid value for format: "+format)
		return
	}
	writeJSON(w, out)
}

// headersOf lists the top-level header fields of raw (only names when
// given), unfolded, in order.
func headersOf(raw []byte, names []string) []header {
	var out []header
	lines := strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n")
	for _, l := range lines {
		if l == "" {
			break
		}
		if (l[0] == ' ' || l[0] == '\t') && len(out) > 0 {
			out[len(out)-1].Value += " " + strings.TrimSpace(l)
			continue
		}
		if name, value, ok := strings.Cut(l, ":"); ok {
			out = append(out, header{Name: name, Value: strings.TrimSpace(value)})
		}
	}
	if len(names) > 0 {
		out = slices.DeleteFunc(out, func(h header) bool {
			return !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, h.Name) })
		})
	}
	return out
}

// listMessages answers users.messages.list: newest first, filtered by every
// labelIds value and by q, which here is a case-insensitive substring of
// the raw message (not Gmail's search language).
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request, user string) {
	q := r.URL.Query()
	limit := intParam(q.Get("maxResults"), 100, 500)
	start := intParam(q.Get("pageToken"), 0, 1<<30)
	s.mu.Lock()
	var matched []*stored
	b := s.box(user)
	for i := len(b.order) - 1; i >= 0; i-- {
		m := b.order[i]
		if !hasLabels(m, q["labelIds"]) {
			continue
		}
		if term := q.Get("q"); term != "" && !strings.Contains(strings.ToLower(string(m.raw)), strings.ToLower(term)) {
			continue
		}
		matched = append(matched, m)
	}
	s.mu.Unlock()
	type ref struct {
		ID       string `json:"id"`
		ThreadID string `json:"threadId"`
	}
	out := struct {
		Messages           []ref  `json:"messages,omitempty"`
		NextPageToken      string `json:"nextPageToken,omitempty"`
		ResultSizeEstimate int    `json:"resultSizeEstimate"`
	}{ResultSizeEstimate: len(matched)}
	for i := start; i < len(matched) && i < start+limit; i++ {
		out.Messages = append(out.Messages, ref{matched[i].id, matched[i].threadID})
	}
	if start+limit < len(matched) {
		out.NextPageToken = strconv.Itoa(start + limit)
	}
	writeJSON(w, out)
}

func hasLabels(m *stored, labels []string) bool {
	for _, l := range labels {
		if !slices.Contains(m.labels, l) {
			return false
		}
	}
	return true
}

// listHistory answers users.history.list with the messageAdded records
// after startHistoryId (filtered by labelId), oldest first.
func (s *Server) listHistory(w http.ResponseWriter, r *http.Request, user string) {
	q := r.URL.Query()
	start, err := strconv.ParseUint(q.Get("startHistoryId"), 10, 64)
	if err != nil {
		apiError(w, http.StatusBadRequest, "Invalid startHistoryId")
		return
	}
	if types := q["historyTypes"]; len(types) > 0 && !slices.Contains(types, "messageAdded") {
		writeJSON(w, map[string]string{"historyId": strconv.FormatUint(s.HistoryID(user), 10)})
		return
	}
	limit := intParam(q.Get("maxResults"), 100, 500)
	if tok := q.Get("pageToken"); tok != "" {
		if after, err := strconv.ParseUint(tok, 10, 64); err == nil {
			start = after
		}
	}
	type msgRef struct {
		ID       string   `json:"id"`
		ThreadID string   `json:"threadId"`
		LabelIDs []string `json:"labelIds"`
	}
	type added struct {
		Message msgRef `json:"message"`
	}
	type record struct {
		ID            string  `json:"id"`
		MessagesAdded []added `json:"messagesAdded"`
	}
	out := struct {
		History       []record `json:"history,omitempty"`
		HistoryID     string   `json:"historyId"`
		NextPageToken string   `json:"nextPageToken,omitempty"`
	}{}
	s.mu.Lock()
	b := s.box(user)
	if start < b.floor {
		s.mu.Unlock()
		apiError(w, http.StatusNotFound, "Requested entity was not found.")
		return
	}
	out.HistoryID = strconv.FormatUint(b.next, 10)
	for _, h := range b.history {
		if h.id <= start {
			continue
		}
		if label := q.Get("labelId"); label != "" && !slices.Contains(h.msg.labels, label) {
			continue
		}
		if len(out.History) == limit {
			out.NextPageToken = out.History[len(out.History)-1].ID
			break
		}
		out.History = append(out.History, record{
			ID:            strconv.FormatUint(h.id, 10),
			MessagesAdded: []added{{msgRef{h.msg.id, h.msg.threadID, slices.Clone(h.msg.labels)}}},
		})
	}
	s.mu.Unlock()
	writeJSON(w, out)
}

// watch answers users.watch with the current historyId and an expiry a
// week ahead, as Gmail does.
func (s *Server) watch(w http.ResponseWriter, r *http.Request, user string) {
	var req struct {
		TopicName string `json:"topicName"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil && err != io.EOF {
		apiError(w, http.StatusBadRequest, "Invalid JSON payload")
		return
	}
	writeJSON(w, map[string]string{
		"historyId":  strconv.FormatUint(s.HistoryID(user), 10),
		"expiration": strconv.FormatInt(time.Now().Add(7*24*time.Hour).UnixMilli(), 10),
	})
}

func intParam(v string, def, maxV int) int {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return def
	}
	return min(n, maxV)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

// apiError writes Google's JSON error shape, which googleapi.CheckResponse
// reads into *googleapi.Error.
func apiError(w http.ResponseWriter, code int, msg string) {
	reason := map[int]string{
		400: "badRequest", 401: "authError", 403: "forbidden", 404: "notFound",
		429: "rateLimitExceeded", 500: "backendError", 503: "backendError",
	}[code]
	if reason == "" {
		reason = "error"
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": msg, "status": http.StatusText(code),
		"errors": []map[string]string{{"reason": reason, "message": msg, "domain": "global"}},
	}})
}

// String describes a request in failure messages.
func (r Request) String() string {
	return fmt.Sprintf("%s %s?%s → %d (user %q)", r.Method, r.Path, r.Query.Encode(), r.Status, r.User)
}
