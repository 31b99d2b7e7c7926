// Command fill writes deployment.json (or any template of this directory)
// with the placeholder https://HOST replaced by the server's origin:
//
//	go run ./appsscript/fill -host https://discreet.example.com > deployment.json
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
)

// Placeholder is the origin the templates name.
const Placeholder = "https://HOST"

func main() {
	host := flag.String("host", "", "the server's origin, e.g. https://discreet.example.com")
	in := flag.String("in", "appsscript/deployment.json", "template to fill")
	flag.Parse()
	tmpl, err := os.ReadFile(*in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fill:", err)
		os.Exit(1)
	}
	out, err := Fill(tmpl, *host)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fill:", err)
		os.Exit(2)
	}
	os.Stdout.Write(out)
}

// Fill replaces the placeholder origin with host, which must be an https
// origin (no path, query or trailing slash): Google calls only https URLs,
// and the system ID token's audience is the exact URL.
func Fill(tmpl []byte, host string) ([]byte, error) {
	u, err := url.Parse(host)
	if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("-host must be an https origin like https://discreet.example.com")
	}
	origin := "https://" + u.Host
	out := bytes.ReplaceAll(tmpl, []byte(Placeholder), []byte(origin))
	if json.Valid(tmpl) && !json.Valid(out) {
		return nil, errors.New("the filled template is not valid JSON")
	}
	return out, nil
}
