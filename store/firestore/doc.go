// Package firestore implements store.Store on Cloud Firestore in native
// mode, production's database. New honors FIRESTORE_EMULATOR_HOST, so the
// same code runs against the emulator in tests (internal/emulator).
//
// # Document layout
//
// Keys derived from addresses and ids are escaped into document ids
// (docID: '%' and '/' percent-encoded, "." / ".." / "__x__" avoided); every
// document also stores its key as a field. Times are fixed-width UTC text
// ("2006-01-02T15:04:05.000000000Z"): exact to the nanosecond and ordered
// as strings, like store.SortKey.
//
//	config/org                          org settings (absent: the defaults)
//	config/neverLog                     {version}: moves on every list change
//	config/emailIdKey                   {key}: the email-id key (store.Secrets), made once
//	users/{email}                       {email, name, role, teams, createdAt}
//	userSettings/{email}                {email, defaultLog, defaultVisibility}
//	teams/{id}                          {id, name}
//	neverLog/{list}/entries/{id}        {id, scope, pattern, note, addedBy, addedAt}
//	neverLog/{list}/patterns/{pattern}  {pattern, entryId}: reserves a pattern on a list
//	                                    ({list} is "org", or "user:" + the user's address)
//	contacts/{email}                    {email, domain, name, owner, team, createdAt,
//	                                     total, search}
//	contacts/{email}/timeline/{emailID} {emailId, sortKey, date, owner, audience,
//	                                     summary}
//	emails/{emailID}                    every field of the email, sortKey,
//	                                    matchAddresses, matchDomains
//	intents/{id}                        {id, user, recipients, recipientsKey, subject,
//	                                     log, visibility, createdAt, expiresAt,
//	                                     expireAt (timestamp, for a TTL policy), consumed}
//	audit/{id}                          {id, at, sortKey, actor, action, emailId,
//	                                     emailOwner, target, count, detail}
//	watches/{user}, watches/{user}/messages/{gmailID}   sent-mail capture (watch.go)
//
// An email's id is policy.EmailID of its identity key (Message-ID and
// content fingerprint, keyed with config/emailIdKey), so logging it twice
// or concurrently meets one document. Emails logged before fingerprints
// keep their id (policy.LegacyEmailID, a hash of the Message-ID alone).
//
// A timeline entry carries the email's audience keys (policy.EmailAudience)
// and a summary of it (no body, no participants): a page is one query,
// audience array-contains-any the viewer's keys ordered by sortKey, that
// reads exactly the page's documents. contacts/{c}.total counts the entries
// (kept by the transactions that log and delete), so "n emails you can't
// see" is total minus one COUNT aggregation.
//
// matchAddresses and matchDomains list every address an email names and
// every domain suffix of them (policy.DomainSuffixes): a Never Log entry
// finds the emails it covers with one array-contains query or count.
//
// contacts/{c}.search holds every prefix of the address and of its domain
// (up to 64 bytes): "address or domain starts with p, by address" is one
// array-contains query.
//
// The composite indexes these queries need are in firestore.indexes.json at
// the repository root; firestore.rules denies all client access (only the
// server, through IAM, reads and writes). Deploy both with
// `firebase deploy --only firestore` or `gcloud firestore indexes
// composite create`. Intents can be expired by a TTL policy on
// intents.expireAt: `gcloud firestore fields ttls update expireAt
// --collection-group=intents --enable-ttl`.
//
// # Transactions
//
// LogEmail, SetVisibility, DeleteEmail, SetContactOwner, AddNeverLog,
// DeleteNeverLog, ConsumeIntent and each purge batch are one transaction
// each. Firestore aborts a transaction whose reads changed before it
// committed; the client retries it (up to maxTxAttempts times, backing off)
// and only then is the error a conflict. A transaction writes at most 500
// documents: an email lands on at most 249 contacts, and AddNeverLog takes
// at most 249 entries at once.
package firestore
