package message

import (
	"bufio"
	"bytes"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
)

// readPlainText reads the simplest and most common shape of mail without
// the MIME parser: one part of text/plain (or no Content-Type at all) in
// UTF-8 or US-ASCII, not transfer-encoded, no disposition, and a header
// enmime reads without a complaint. For it the parser's work is reading
// the header and copying the body, yet it parses the Content-Type six times
// and builds a part tree: about 110 of the 400 allocations an ingest made.
// Anything else, or anything in doubt, returns ok false and takes the full
// parse; TestPlainTextFastPath and FuzzPlainTextFastPath hold the two paths
// to the same Message for every input this one accepts.
func readPlainText(raw []byte) (root *enmime.Part, env *enmime.Envelope, ok bool) {
	rd := bytes.NewReader(raw)
	// The whole message and one byte more, as bufio's default 4 KiB is for
	// any message shorter: the reader then never fills with a line it has
	// not ended (which a buffer of exactly the message's length did to a
	// header of one unended line), and a short message does not pay 4 KiB.
	br := bufio.NewReaderSize(rd, min(len(raw)+1, 4096))
	var errs countErrors
	hdr, err := enmime.ReadHeader(br, &errs)
	if err != nil || errs > 0 {
		return nil, nil, false
	}
	for _, f := range []string{"Content-Disposition", "Content-Id"} {
		if len(hdr[f]) > 0 {
			return nil, nil, false
		}
	}
	if len(hdr["Content-Type"]) > 1 || len(hdr["Content-Transfer-Encoding"]) > 1 {
		return nil, nil, false
	}
	utf8Declared := false
	if ct := hdr.Get("Content-Type"); ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || mt != "text/plain" {
			return nil, nil, false
		}
		for k, v := range params {
			switch {
			case k != "charset":
				return nil, nil, false
			case strings.EqualFold(v, "utf-8"):
				utf8Declared = true
			case !strings.EqualFold(v, "us-ascii"):
				return nil, nil, false
			}
		}
	}
	switch strings.ToLower(hdr.Get("Content-Transfer-Encoding")) {
	case "", "7bit", "8bit":
	default:
		return nil, nil, false
	}
	body := raw[len(raw)-rd.Len()-br.Buffered():]
	if utf8Declared && !utf8.Valid(body) || !utf8Declared && !isASCII(body) || bytes.IndexByte(body, 0) >= 0 {
		return nil, nil, false
	}
	root = &enmime.Part{Header: hdr, ContentType: "text/plain"}
	return root, &enmime.Envelope{Root: root, Text: string(body)}, true
}

// countErrors is an enmime.ErrorCollector that only counts.
type countErrors int

func (c *countErrors) AddError(string, string, ...any)   { *c++ }
func (c *countErrors) AddWarning(string, string, ...any) { *c++ }
