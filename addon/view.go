package addon

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // the user's time zone must resolve on minimal images too

	"github.com/discreet-crm/discreet"
)

// view carries what every card needs from the event: the user's language
// and time zone, and the URL buttons call.
type view struct {
	lang      string // "en" or "de"
	locale    string // as sent, e.g. "en-GB"
	loc       *time.Location
	actionURL string
}

func newView(ev *Event, actionURL string) *view {
	v := &view{lang: "en", loc: time.UTC, actionURL: actionURL}
	if ev == nil {
		return v
	}
	c := ev.Common
	v.locale = c.UserLocale
	if strings.HasPrefix(strings.ToLower(c.UserLocale), "de") {
		v.lang = "de"
	}
	if c.TimeZone.ID != "" {
		if loc, err := time.LoadLocation(c.TimeZone.ID); err == nil {
			v.loc = loc
			return v
		}
	}
	if c.TimeZone.Offset != 0 {
		v.loc = time.FixedZone("", int(c.TimeZone.Offset/1000))
	}
	return v
}

// t translates an English format string and fills it in. The English text
// is the key, so a missing translation still reads well.
func (v *view) t(format string, args ...any) string {
	if v.lang == "de" {
		if de, ok := german[format]; ok {
			format = de
		}
	}
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// date formats t in the user's zone and locale.
func (v *view) date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(v.loc)
	switch {
	case v.lang == "de":
		return t.Format("2.1.2006, 15:04")
	case v.locale == "" || strings.EqualFold(v.locale, "en") || strings.EqualFold(v.locale, "en-US"):
		return t.Format("Jan 2, 2006, 3:04 PM")
	default:
		return t.Format("2 Jan 2006, 15:04")
	}
}

func (v *view) visibility(vis discreet.Visibility) string {
	switch vis {
	case discreet.VisibilityPrivate:
		return v.t("Private")
	case discreet.VisibilityTeam:
		return v.t("Team")
	case discreet.VisibilityPublic:
		return v.t("Public")
	}
	return string(vis)
}

func (v *view) visibilityHelp(vis discreet.Visibility) string {
	switch vis {
	case discreet.VisibilityPrivate:
		return v.t("Only the owner and the colleagues on the email can read it.")
	case discreet.VisibilityTeam:
		return v.t("The owner's team can read it too.")
	case discreet.VisibilityPublic:
		return v.t("Everyone with access to the contact can read it.")
	}
	return ""
}

// visibilityInput is the Private/Team/Public choice.
func (v *view) visibilityInput(name, label string, selected discreet.Visibility) *Widget {
	if !selected.Valid() {
		selected = discreet.VisibilityPublic
	}
	var items []item
	for _, vis := range []discreet.Visibility{discreet.VisibilityPrivate, discreet.VisibilityTeam, discreet.VisibilityPublic} {
		items = append(items, item{text: v.visibility(vis), value: string(vis), selected: vis == selected})
	}
	return selection(name, label, "RADIO_BUTTON", items)
}

// person is "Beat Keller" or, without a name, the address.
func person(name, email string) string {
	if strings.TrimSpace(name) != "" {
		return name
	}
	return email
}

// german is the message catalog for userLocale "de*".
var german = map[string]string{
	// common
	"Discreet":             "Discreet",
	"Private":              "Privat",
	"Team":                 "Team",
	"Public":               "Öffentlich",
	"Visibility":           "Sichtbarkeit",
	"More":                 "Mehr",
	"Back":                 "Zurück",
	"Save":                 "Speichern",
	"Remove":               "Entfernen",
	"Add":                  "Hinzufügen",
	"Something went wrong": "Etwas ist schiefgelaufen",
	"Only the owner and the colleagues on the email can read it.": "Nur der Eigentümer und die beteiligten Kollegen können sie lesen.",
	"The owner's team can read it too.":                           "Auch das Team des Eigentümers kann sie lesen.",
	"Everyone with access to the contact can read it.":            "Alle mit Zugriff auf den Kontakt können sie lesen.",
	// message card
	"This email":               "Diese E-Mail",
	"Logged":                   "Protokolliert",
	"Logged as %s":             "Protokolliert als %s",
	"by %s · %s":               "von %s · %s",
	"Not logged yet":           "Noch nicht protokolliert",
	"Not logged":               "Nicht protokolliert",
	"Log":                      "Protokollieren",
	"Log this email":           "Diese E-Mail protokollieren",
	"Change visibility":        "Sichtbarkeit ändern",
	"Unlog":                    "Protokollierung entfernen",
	"Unlogged":                 "Protokollierung entfernt",
	"Visibility changed to %s": "Sichtbarkeit geändert: %s",
	"Not logged: %s is on the Never Log List (%s)":           "Nicht protokolliert: %s steht auf der Never-Log-Liste (%s)",
	"Not logged: %s is on your personal Never Log List (%s)": "Nicht protokolliert: %s steht auf Ihrer persönlichen Never-Log-Liste (%s)",
	"Not logged: only colleagues are on this email.":         "Nicht protokolliert: An dieser E-Mail sind nur Kollegen beteiligt.",
	"Not logged: Log was switched off for this email.":       "Nicht protokolliert: Protokollieren war für diese E-Mail ausgeschaltet.",
	"Already logged by a colleague.":                         "Bereits von einem Kollegen protokolliert.",
	"Uploaded":                                               "Hochgeladen",
	"uploaded":                                               "hochgeladen",
	"Logged from an uploaded copy, not fetched from Gmail: its sender and date are as the uploader gave them.": "Aus einer hochgeladenen Kopie protokolliert, nicht aus Gmail abgerufen: Absender und Datum stammen vom Hochladenden.",
	"Contact": "Kontakt",
	"Known contact — owned by %s, %s · ask them for access": "Bekannter Kontakt — gehört %s, %s · bitten Sie um Zugriff",
	"Known contact — owned by %s · ask them for access":     "Bekannter Kontakt — gehört %s · bitten Sie um Zugriff",
	"Owner: %s, %s": "Eigentümer: %s, %s",
	"Owner: %s":     "Eigentümer: %s",
	"New contact — it is created when you log this email.": "Neuer Kontakt — er wird beim Protokollieren angelegt.",
	"Recent emails":                                      "Neueste E-Mails",
	"No emails you can see yet.":                         "Noch keine E-Mails, die Sie sehen können.",
	"%d more email you can't see, owned by %s":           "%d weitere E-Mail, die Sie nicht sehen können, gehört %s",
	"%d more emails you can't see, owned by %s":          "%d weitere E-Mails, die Sie nicht sehen können, gehören %s",
	"At least %d more emails you can't see, owned by %s": "Mindestens %d weitere E-Mails, die Sie nicht sehen können, gehören %s",
	"An email you can't see":                             "Eine E-Mail, die Sie nicht sehen können",
	"(no subject)":                                       "(kein Betreff)",
	"Emails with %s":                                     "E-Mails mit %s",
	// compose card
	"Log this email to the contact's timeline": "Diese E-Mail in der Kontakt-Chronik protokollieren",
	"Recipients":         "Empfänger",
	"No recipients yet.": "Noch keine Empfänger.",
	"Saved: this email will be logged as %s.": "Gespeichert: Diese E-Mail wird als %s protokolliert.",
	"Saved: this email will not be logged.":   "Gespeichert: Diese E-Mail wird nicht protokolliert.",
	"org list":                                "Organisationsliste",
	"personal list":                           "persönliche Liste",
	"When you send":                           "Beim Senden",
	// homepage
	"Your settings":            "Ihre Einstellungen",
	"Log my emails by default": "Meine E-Mails standardmäßig protokollieren",
	"Default visibility":       "Standard-Sichtbarkeit",
	"Save settings":            "Einstellungen speichern",
	"Settings saved":           "Einstellungen gespeichert",
	"Your Never Log List":      "Ihre Never-Log-Liste",
	"Your own emails with these addresses are never logged.": "Ihre eigenen E-Mails mit diesen Adressen werden nie protokolliert.",
	"Address or domain": "Adresse oder Domain",
	"Added %s":          "%s hinzugefügt",
	"Removed %s":        "%s entfernt",
	"Never Log List":    "Never-Log-Liste",
	"No entries.":       "Keine Einträge.",
	"added by %s, %s":   "hinzugefügt von %s, %s",
	"Manage":            "Verwalten",
	"Note (optional)":   "Notiz (optional)",
	"Add to list":       "Zur Liste hinzufügen",
	"Added %s — %d logged emails match; purge them from the entry's page.": "%s hinzugefügt — %d protokollierte E-Mails passen; löschen Sie sie auf der Seite des Eintrags.",
	"Test an address":          "Adresse prüfen",
	"Test":                     "Prüfen",
	"%s is blocked by %s (%s)": "%s wird durch %s blockiert (%s)",
	"%s is not blocked":        "%s wird nicht blockiert",
	"%s: %s":                   "%s: %s",
	"Import":                   "Importieren",
	"One address or domain per line; # starts a comment. Nothing is added if any line is wrong.": "Eine Adresse oder Domain pro Zeile; # beginnt einen Kommentar. Ist eine Zeile falsch, wird nichts hinzugefügt.",
	"Imported %d entries (%d already on the list)":                                               "%d Einträge importiert (%d standen schon auf der Liste)",
	"Nothing imported: fix these lines.":                                                         "Nichts importiert: Bitte diese Zeilen korrigieren.",
	"Line %d: %s":                                                                                "Zeile %d: %s",
	"Org settings":                                                                               "Organisationseinstellungen",
	"Log emails by default":                                                                      "E-Mails standardmäßig protokollieren",
	"Emails a viewer can't see":                                                                  "E-Mails, die jemand nicht sehen kann",
	"Hide them":                                                                                  "Ausblenden",
	"Show a count":                                                                               "Anzahl zeigen",
	"Show date and owner":                                                                        "Datum und Eigentümer zeigen",
	"Admins read private emails":                                                                 "Admins lesen private E-Mails",
	"Contact access: managers":                                                                   "Kontaktzugriff: Manager",
	"Contact access: reps":                                                                       "Kontaktzugriff: Vertrieb",
	"All contacts":                                                                               "Alle Kontakte",
	"Their teams' contacts":                                                                      "Kontakte ihrer Teams",
	"Own contacts":                                                                               "Eigene Kontakte",
	"Save org settings":                                                                          "Organisationseinstellungen speichern",
	"Org settings saved":                                                                         "Organisationseinstellungen gespeichert",
	"Never Log entry":                                                                            "Never-Log-Eintrag",
	"%d logged emails match this entry.":                                                         "%d protokollierte E-Mails passen zu diesem Eintrag.",
	"1 logged email matches this entry.":                                                         "1 protokollierte E-Mail passt zu diesem Eintrag.",
	"Purging deletes them from every timeline and is audited.": "Löschen entfernt sie aus jeder Chronik und wird protokolliert.",
	"Purge %d emails":  "%d E-Mails löschen",
	"Remove from list": "Von der Liste entfernen",
	"Purging %d emails in the background; the homepage shows the progress.":    "%d E-Mails werden im Hintergrund gelöscht; die Startseite zeigt den Fortschritt.",
	"Importing %d entries in the background; the homepage shows the progress.": "%d Einträge werden im Hintergrund importiert; die Startseite zeigt den Fortschritt.",
	"Jobs":             "Aufträge",
	"Never Log import": "Never-Log-Import",
	"Purge %s":         "Löschen: %s",
	"%d of %d":         "%d von %d",
	"done: %d of %d":   "fertig: %d von %d",
	"failed: %s":       "fehlgeschlagen: %s",
	"Refresh":          "Aktualisieren",
	"Signed in as %s":  "Angemeldet als %s",
	// Gmail watch jobs
	"Gmail watch renewal":       "Erneuerung der Gmail-Überwachung",
	"Gmail watches of %d users": "Gmail-Überwachung von %d Benutzern",
	// errors
	"We could not verify this request. Reload Gmail and try again.": "Diese Anfrage konnte nicht überprüft werden. Laden Sie Gmail neu und versuchen Sie es noch einmal.",
	"This request is not a Gmail add-on event we understand: %s":    "Diese Anfrage ist kein verständliches Gmail-Add-on-Ereignis: %s",
	"Unknown action %q.": "Unbekannte Aktion %q.",
	"Discreet cannot read this message right now. Try again in a moment.": "Discreet kann diese Nachricht gerade nicht lesen. Versuchen Sie es gleich noch einmal.",
	"Discreet is not available right now. Try again in a moment.":         "Discreet ist gerade nicht erreichbar. Versuchen Sie es gleich noch einmal.",
	"Open a message to see its contacts.":                                 "Öffnen Sie eine Nachricht, um ihre Kontakte zu sehen.",

	// the Never Log check fails closed
	"Not logged: the %s header holds %q, which cannot be checked against the Never Log List.": "Nicht protokolliert: Der %s-Header enthält %q, das sich nicht mit der Never-Log-Liste abgleichen lässt.",
	"Saved: this email will not be logged: %s is on the Never Log List (%s).":                 "Gespeichert: Diese E-Mail wird nicht protokolliert: %s steht auf der Never-Log-Liste (%s).",
}
