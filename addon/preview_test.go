package addon

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds a Chromium or Chrome binary. Without one the browser
// test is skipped on a laptop and fails in CI (env CI set).
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium in PATH; CI must install it (apt-get install -y chromium)")
	}
	t.Skip("no chromium in PATH; install it to run the browser test")
	return ""
}

// screenshots are written with -update or DISCREET_SCREENSHOTS=1 only, so
// an ordinary test run never dirties the tree.
func screenshots() bool { return *update || os.Getenv("DISCREET_SCREENSHOTS") == "1" }

// TestPreviewInChromium drives the /dev/addon preview in a real browser:
// the same endpoints and card JSON Gmail would get, rendered as the side
// panel, clicked as a rep would click.
func TestPreviewInChromium(t *testing.T) {
	bin := chromiumPath(t)
	srv := httptest.NewServer(devServer(t, newDemoService(t)))
	defer srv.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1200, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The first call starts the browser; it must not run under a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}

	var dump func() string
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			t.Fatalf("%s: %v\n%s", what, err, dump())
		}
	}
	value := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	open := func(user, what string) chromedp.Action[chromedp.Void] {
		q := url.Values{"user": {user}, "open": {what}, "locale": {"en"}}
		return chromedp.Steps(
			chromedp.Navigate(srv.URL+PathPreview+"?"+q.Encode()),
			chromedp.Poll[chromedp.Void](`window.discreetPreview && window.discreetPreview.ready === true && window.discreetPreview.pending === 0`),
		)
	}
	waitText := func(s string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](`document.querySelector('#card').innerText.includes(` + jsString(s) + `)`)
	}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if !screenshots() {
				return nil
			}
			png, err := chromedp.Screenshot(chromedp.CSS("#panel"))(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join("..", "docs", "screenshots", name+".png"), png, 0o644)
		})
	}
	if screenshots() {
		if err := os.MkdirAll(filepath.Join("..", "docs", "screenshots"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	card := func() string { return value(`document.querySelector('#card').innerText`) }
	dump = func() string {
		v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#card').innerText + '\\n[toast] ' + document.querySelector('#toast').innerText`))
		return v
	}

	// Anna opens the Swiss customer's email: she learns the contact exists
	// and is Beat's, nothing more.
	step("message stub",
		open(anna, "message:zurich-to-anna"),
		waitText("Known contact — owned by Beat Keller, Switzerland · ask them for access"),
		shot("message-stub"))
	for _, secret := range []string{"renewal quote", "discount", "CFO"} {
		if c := card(); strings.Contains(c, secret) {
			t.Errorf("the stub card shows %q:\n%s", secret, c)
		}
	}

	// She logs it as private: the card updates in place.
	step("log private",
		chromedp.Click(chromedp.CSS(`#card input[name="visibility"][value="private"]`)),
		chromedp.Click(chromedp.Search(`//div[@id="card"]//button[normalize-space()="Log"]`)),
		waitText("Logged as Private"),
		shot("message-logged"))
	if c := card(); !strings.Contains(c, "by Anna Schmidt") {
		t.Errorf("logged card does not say who logged it:\n%s", c)
	}

	// A draft to a Never Log address: no switch, the lock and the reason.
	step("compose blocked",
		open(anna, "draft:draft-hr"),
		waitText("Not logged: anna@hr-partner.example is on the Never Log List (@hr-partner.example)"),
		shot("compose-blocked"))
	if n := value(`String(document.querySelectorAll('#card input[data-switch]').length)`); n != "0" {
		t.Errorf("blocked draft shows %s Log switches, want none", n)
	}

	// An ordinary draft has the switch, on by default, and Save confirms.
	step("compose normal",
		open(anna, "draft:draft-zurich"),
		waitText("Log this email to the contact's timeline"))
	if on := value(`String(document.querySelector('#card input[data-switch="log"]').checked)`); on != "true" {
		t.Error("the Log switch is off for an ordinary draft; the org default is on")
	}
	step("save intent",
		chromedp.Click(chromedp.Search(`//div[@id="card"]//button[normalize-space()="Save"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('#toast').innerText.includes('Saved: this email will be logged')`),
		shot("compose-normal"))

	// The admin's homepage is short: nothing waits in the demo org, so it
	// is the area buttons only. Its size is bounded by its content: at
	// most maxDecisionRows rows, "and N more", Refresh, and one button
	// list per group of areas, whatever the org holds.
	title := func(s string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](`document.querySelector('#card-title') && document.querySelector('#card-title').innerText === ` + jsString(s))
	}
	click := func(text string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.Search(`//div[@id="card"]//button[normalize-space()=` + xpathString(text) + `]`))
	}
	back := chromedp.Click(chromedp.CSS(`#card .ph .back`))
	homeSize := func(what string) {
		t.Helper()
		n, _ := strconv.Atoi(value(`String(document.querySelectorAll('#card .w').length)`))
		h, _ := strconv.ParseFloat(value(`String(document.querySelector('#card').getBoundingClientRect().height)`), 64)
		t.Logf("%s: %d widgets, %.0f px high at side-panel width", what, n, h)
		if max := maxDecisionRows + 2 + 2; n > max {
			t.Errorf("%s has %d widgets, want at most %d", what, n, max)
		}
		// A side panel shows about 600 px of card on a laptop screen; the
		// old homepage was about 1,600 px.
		if h > 600 {
			t.Errorf("%s is %.0f px high; it must fit the side panel without scrolling (600 px)", what, h)
		}
	}
	step("admin homepage",
		open(admin, "home"),
		title("Discreet"),
		waitText("Org settings"),
		shot("admin-homepage"))
	homeSize("the admin homepage")
	if c := card(); strings.Contains(c, "@hr-partner.example") || strings.Contains(c, "Needs your attention") {
		t.Errorf("the quiet homepage shows more than its buttons:\n%s", c)
	}

	// Each button pushes its area; back returns to the homepage.
	for _, a := range areas {
		en := enView()
		step("open "+a.name,
			click(en.t(a.title)),
			title(en.t(a.title)),
			shot("area-"+a.name))
		step("back from "+a.name, back, title("Discreet"))
	}

	// An action inside an area keeps the user there, updated.
	step("add to the org list",
		click("Never Log List"), title("Never Log List"),
		chromedp.SetValue(chromedp.CSS(`#card input[name="pattern"]`), "@new-partner.example"),
		click("Add to list"),
		chromedp.Poll[chromedp.Void](`document.querySelector('#toast').innerText.includes('Added @new-partner.example')`),
		title("Never Log List"),
		waitText("@new-partner.example"),
		shot("area-neverLog-added"))
	if n := value(`String(document.querySelectorAll('#card .ph .back').length)`); n != "1" {
		t.Error("after the action the area card is no longer over the homepage")
	}
	step("a mistake stays on the area",
		chromedp.SetValue(chromedp.CSS(`#card input[name="pattern"]`), "bad@@example.com"),
		click("Add to list"),
		waitText("more than one"),
		title("Never Log List"))

	// A purge started from an entry returns to the list; the homepage
	// under it now lists the running purge.
	step("purge from the entry's card",
		chromedp.SetValue(chromedp.CSS(`#card input[name="pattern"]`), "@berlin-tools.example"),
		click("Add to list"),
		waitText("@berlin-tools.example"),
		chromedp.Click(chromedp.Search(`//div[@id="card"]//div[@data-widget="decoratedText"][.//b[text()="@berlin-tools.example"]]//button`)),
		title("Never Log entry"),
		click("Purge 1 emails"),
		title("Never Log List"),
		back, title("Discreet"),
		waitText("Needs your attention"),
		waitText("Purge @berlin-tools.example"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#toast').style.display = 'none'`),
		shot("admin-homepage-attention"))
	homeSize("the admin homepage with a running purge")

	// The rep's homepage: their settings and their list, no org areas.
	step("rep homepage",
		open(anna, "home"),
		title("Discreet"),
		waitText("Your Never Log List"),
		shot("rep-homepage"))
	homeSize("the rep's homepage")
	if c := card(); strings.Contains(c, "Org settings") || strings.Contains(c, "Jobs") {
		t.Errorf("the rep's homepage offers org areas:\n%s", c)
	}
	step("rep settings", click("Your settings"), title("Your settings"), click("Save settings"),
		chromedp.Poll[chromedp.Void](`document.querySelector('#toast').innerText.includes('Settings saved')`),
		title("Your settings"))
}

// xpathString quotes s for XPath (no quotes of both kinds in our labels).
func xpathString(s string) string {
	if strings.Contains(s, "'") {
		return `"` + s + `"`
	}
	return "'" + s + "'"
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`)
	return "'" + r.Replace(s) + "'"
}

func TestPreviewServedOnlyInDevMode(t *testing.T) {
	svc := newDemoService(t)
	dev := devServer(t, svc)
	rec := httptest.NewRecorder()
	dev.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, PathPreview, nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "discreetPreview") {
		t.Errorf("dev preview: %d", rec.Code)
	}
	if strings.Contains(rec.Body.String(), "http://") || strings.Contains(rec.Body.String(), "<link") || strings.Contains(rec.Body.String(), "src=\"") {
		t.Error("the preview must not load external assets")
	}
	prod := newProdServer(t, svc)
	rec = httptest.NewRecorder()
	prod.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, PathPreview, nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("preview without dev mode: status %d, want 404", rec.Code)
	}
}
