package sensitive

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/discreet-crm/discreet"
)

// benchKeywords are 50 keywords an org might set, in German, English and
// French, some phrases, some with umlauts or punctuation.
var benchKeywords = []string{
	"vertraulich", "streng geheim", "Gehaltsabrechnung", "Kündigung", "Abmahnung",
	"Übernahme", "Due Diligence", "Projekt Phoenix", "Betriebsrat", "Krankmeldung",
	"confidential", "strictly private", "salary", "termination", "layoff",
	"acquisition", "merger", "M&A", "insider", "lawsuit",
	"confidentiel", "licenciement", "rachat", "salaire", "procès",
	"Arztbericht", "Diagnose", "Strafanzeige", "Scheidung", "Schwangerschaft",
	"password", "Passwort", "PIN code", "social security", "AHV-Nummer",
	"Steuer-ID", "Lohnausweis", "Bonusplan", "Aktienoptionen", "Verwaltungsrat",
	"whistleblower", "harassment", "Mobbing", "disciplinary", "Abfindung",
	"#intern", "Codename Falke", "Project Atlas", "Sanierung", "Insolvenz",
}

// nearMisses is business mail written to be hard: no keyword, but many
// words that start like one (Vertrag/vertraulich, sale/salary,
// Projekt/Projekt Phoenix, merge/merger), so the keyword walks do much
// work: about one word in five is walked.
var nearMisses = strings.Fields(`
	Guten Tag Herr Keller vielen Dank für Ihre Nachricht vom Vertrag Vertragsentwurf
	Angebot Lieferung Rechnung Bestellung Projekt Projektplan Termin Besprechung
	nächste Woche Dienstag Donnerstag bitte beachten Sie die Konditionen Preis
	Rabatt Menge Stück Lieferzeit Betrieb Steuer Verwaltung Gehalt Bonus Aktien
	Kunde Übergabe Überweisung über für Grüße freundlichen Mit Zürich München Basel
	Hello thanks for your email regarding the sale of our salad products and
	the merge request we discussed confidence in the terms pass passage insight
	law lay term private public project atlas atlantic code codes social media
	Bonjour merci pour votre message concernant la livraison le prix la commande
	salle rachats procédure licence confiance Montag Dienstag Vertragsbedingungen
	the and of to in is it for on with as at by from this that we you our
	der die das und zu den mit von auf für ist im nicht ein eine als auch es an
`)

// plainWords is business mail as it comes, chosen without regard to the
// keywords.
var plainWords = strings.Fields(`
	Guten Tag Frau Meier vielen Dank für Ihre Nachricht zum Angebot Lieferung
	Rechnung Bestellung Termin Besprechung nächste Woche Montag Freitag bitte
	senden Sie uns die Unterlagen bis Ende Monat wir melden uns gerne Grüße
	freundlichen Mit Zürich München Basel Hamburg Genf Lausanne Bern Kunde
	Hello thanks for your email we will send the documents by Friday please
	let me know if you have any questions best regards kind meeting call
	next week agenda minutes budget forecast quarter delivery invoice order
	Bonjour merci pour votre message nous vous envoyons les documents demain
	cordialement réunion semaine prochaine livraison facture commande prix
	the and of to in is it for on with as at by from this that we you our
	der die das und zu den mit von auf für ist im nicht ein eine als auch es an
`)

// cyrillicWords is business mail in Russian: every letter is two bytes
// that are not ASCII, where the scan goes a character at a time.
var cyrillicWords = strings.Fields(`
	Здравствуйте спасибо за ваше письмо мы отправим документы завтра
	с уважением встреча счет заказ цена доставка неделя понедельник
	пятница пожалуйста договор поставка оплата Москва Цюрих
`)

// benchBody is a 50 KB email body of ordinary text with the numbers real
// mail has — dates, amounts, phone numbers, order and tracking numbers,
// postcodes — and quoted replies, none of which a rule should fire on.
func benchBody(size int) string { return benchText(size, nearMisses) }

func benchText(size int, vocabulary []string) string {
	r := rand.New(rand.NewPCG(7, 11))
	var b strings.Builder
	line := 0
	for b.Len() < size {
		switch x := r.IntN(100); {
		case x < 2:
			fmt.Fprintf(&b, "am %02d.%02d.2025 um %02d:%02d", 1+r.IntN(28), 1+r.IntN(12), r.IntN(24), r.IntN(60))
		case x < 4:
			fmt.Fprintf(&b, "CHF %d'%03d.%02d", r.IntN(900), r.IntN(1000), r.IntN(100))
		case x < 5:
			fmt.Fprintf(&b, "+41 %02d %03d %02d %02d", 40+r.IntN(40), r.IntN(1000), r.IntN(100), r.IntN(100))
		case x < 6:
			fmt.Fprintf(&b, "Bestellung 302-%07d-%07d", r.IntN(10_000_000), r.IntN(10_000_000))
		case x < 7:
			fmt.Fprintf(&b, "Sendung 9400 %04d %04d %04d %04d %02d", r.IntN(10000), r.IntN(10000), r.IntN(10000), r.IntN(10000), r.IntN(100))
		case x < 8:
			fmt.Fprintf(&b, "%d Zürich", 8000+r.IntN(100))
		default:
			b.WriteString(vocabulary[r.IntN(len(vocabulary))])
		}
		if line += 8; line > 72 {
			b.WriteString("\r\n")
			if r.IntN(4) == 0 {
				b.WriteString("> ")
			}
			line = 0
		} else {
			b.WriteByte(" ,. "[r.IntN(4)])
			if b.String()[b.Len()-1] != ' ' {
				b.WriteByte(' ')
			}
		}
	}
	return b.String()
}

func benchRules() []discreet.SensitivityRule {
	rules := []discreet.SensitivityRule{
		{ID: "iban", Detector: discreet.DetectorIBAN, Action: discreet.ActionNeverLog},
		{ID: "card", Detector: discreet.DetectorCard, Action: discreet.ActionNeverLog},
		{ID: "auto", Detector: discreet.DetectorAutomated, Action: discreet.ActionPrivate},
	}
	for i, k := range benchKeywords {
		a := discreet.ActionPrivate
		if i%2 == 0 {
			a = discreet.ActionNeverLog
		}
		rules = append(rules, discreet.SensitivityRule{ID: fmt.Sprint("kw", i), Detector: discreet.DetectorKeyword, Keyword: k, Action: a})
	}
	return rules
}

var benchHeaders = headers(map[string]string{"From": "kunde@zurich-bank.example", "Subject": "Angebot"})

// BenchmarkScan is the cost of the whole scan of a 50 KB body in which no
// rule fires — the worst case, as a hit ends the scan early — with every
// detector and 50 keywords; and the cost of a scan with no rules.
func BenchmarkScan(b *testing.B) {
	all, err := Compile(benchRules())
	if err != nil {
		b.Fatal(err)
	}
	empty, err := Compile(nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, body := range []struct {
		name, text string
	}{{"near-misses", benchBody(50 << 10)}, {"plain", benchText(50<<10, plainWords)}, {"cyrillic", benchText(50<<10, cyrillicWords)}} {
		if h := all.Scan(Message{Subject: "Angebot", Body: body.text, Header: benchHeaders}); h.Fired() {
			b.Fatalf("the benchmark body fires %+v", h)
		}
		for _, bc := range []struct {
			name string
			s    *Scanner
		}{
			{"all-detectors-50-keywords", all},
			{"nil-scanner", nil},
			{"empty-scanner", empty},
		} {
			if bc.s != all && body.name != "near-misses" {
				continue // the same as with the other body
			}
			b.Run(bc.name+"/50KB-"+body.name, func(b *testing.B) {
				b.SetBytes(int64(len(body.text)))
				b.ReportAllocs()
				m := Message{Subject: "Angebot", Body: body.text, Header: benchHeaders}
				cpu, n := cpuTime(), 0
				for b.Loop() {
					if bc.s.Scan(m).Fired() {
						b.Fatal("fired")
					}
					n++
				}
				b.ReportMetric(float64(cpuTime()-cpu)/float64(n), "cpu-ns/op")
			})
		}
	}
	// The same loop without a scan: what a nil or empty scanner is to be
	// compared with.
	b.Run("no-scan", func(b *testing.B) {
		m := Message{Subject: "Angebot", Body: "x", Header: benchHeaders}
		for b.Loop() {
			if (Hit{}).Fired() || len(m.Body) == 0 {
				b.Fatal("fired")
			}
		}
	})
}

// countWords and countWords8 are the least a scan must do: find where
// words start, a byte at a time and eight bytes at a time. Their figures
// are the floor the scan's are to be read against on a shared machine.
func countWords(text string) int {
	n := 0
	prevWord := false
	for i := 0; i < len(text); i++ {
		w := ascii[text[i]]&cWord != 0
		if w && !prevWord {
			n++
		}
		prevWord = w
	}
	return n
}

func countWords8(text string) int {
	n := 0
	prevWord := false
	i := 0
	for ; i+8 <= len(text); i += 8 {
		x := load64(text, i)
		x &^= (x & high) >> 7 * 0xff // non-ASCII bytes count as spaces here
		word := wordBits(x)
		var carry uint64
		if prevWord {
			carry = 0x80
		}
		n += bits.OnesCount64(word &^ (word<<8 | carry))
		prevWord = word&(1<<63) != 0
	}
	return n + countWords(text[i:])
}

func BenchmarkFloor(b *testing.B) {
	body := benchBody(50 << 10)
	for _, f := range []struct {
		name  string
		count func(string) int
	}{{"bytes", countWords}, {"eight-bytes", countWords8}} {
		b.Run(f.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			cpu, n := cpuTime(), 0
			for b.Loop() {
				if f.count(body) == 0 {
					b.Fatal("no words")
				}
				n++
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(n), "cpu-ns/op")
		})
	}
}

// BenchmarkScanDetector is the cost of each detector alone on the same body.
func BenchmarkScanDetector(b *testing.B) {
	body := benchBody(50 << 10)
	for _, d := range []discreet.Detector{discreet.DetectorIBAN, discreet.DetectorCard, discreet.DetectorAutomated} {
		s, err := Compile([]discreet.SensitivityRule{{Detector: d, Action: discreet.ActionNeverLog}})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(string(d), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				s.Scan(Message{Body: body, Header: benchHeaders})
			}
		})
	}
	s := keywordScanner(b, benchKeywords...)
	b.Run("50-keywords", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			s.Scan(Message{Body: body})
		}
	})
}

func BenchmarkCompile(b *testing.B) {
	rules := benchRules()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(rules); err != nil {
			b.Fatal(err)
		}
	}
}
