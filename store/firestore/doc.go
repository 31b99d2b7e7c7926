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
//	config/neverLog                     {version, since, changes: [{v, removed, id, pattern}]}:
//	                                    the org list's version and its last changes
//	                                    (store.NeverLogChanges), read by every decision
//	config/emailIdKey                   {key}: the email-id key (store.Secrets), made once
//	users/{email}                       {email, name, role, teams, createdAt}
//	userSettings/{email}                {email, defaultLog, defaultVisibility,
//	                                     neverLogVersion}: the personal list's version
//	teams/{id}                          {id, name}
//	neverLog/{list}/entries/{id}        {id, scope, pattern, note, addedBy, addedAt}
//	neverLog/{list}/patterns/{pattern}  {pattern, entryId}: reserves a pattern on a list
//	                                    ({list} is "org", or "user:" + the user's address)
//	contacts/{email}                    {email, domain, name, owner, team, createdAt,
//	                                     search} (older documents also hold total,
//	                                     a count no longer kept nor read)
//	contacts/{email}/timeline/{emailID} {emailId, sortKey, date, owner, audience,
//	                                     summary}
//	emails/{emailID}                    every field of the email (the body cut at
//	                                    store.MaxBodyBytes, with a marker), sortKey,
//	                                    matchAddresses, matchDomains
//	intents/{id}                        {id, user, recipients, recipientsKey, subject,
//	                                     log, visibility, createdAt, expiresAt,
//	                                     expireAt (timestamp, for a TTL policy), consumed}
//	audit/{id}                          {id, at, sortKey, actor, action, emailId,
//	                                     emailOwner, target, count, detail}: created,
//	                                     never overwritten; a log's record in the
//	                                     email's commit, a read's under an id of
//	                                     viewer, email, day and way (service)
//	watches/{user}, watches/{user}/messages/{gmailID}   sent-mail capture (watch.go)
//	jobs/{id}                           {id, kind, params, checkpoint, report, state, done,
//	                                     total, error, failures, startedBy, createdAt,
//	                                     updatedAt, runAfter, holder, leaseUntil, parts,
//	                                     sortKey, due}: long work (store.Job); due is when
//	                                     a running job may next be taken, "~" once finished
//	jobs/{id}/parts/{n}                 {n, data}: a job's input (a large import)
//	                                    The day's Gmail watch renewal is
//	                                    jobs/watch-renewal-YYYYMMDD, its batches of
//	                                    100 users jobs/watch-renewal-YYYYMMDD-bNNNN
//
// An email's id is policy.EmailID of its identity key (Message-ID and
// content fingerprint, keyed with config/emailIdKey), so logging it twice
// or concurrently meets one document. Emails logged before fingerprints
// keep their id (policy.LegacyEmailID, a hash of the Message-ID alone).
//
// A timeline entry carries the email's audience keys (policy.EmailAudience)
// and a summary of it (no body, no participants): a page is one query,
// audience array-contains-any the viewer's keys ordered by sortKey, that
// reads exactly the page's documents. "n emails you can't see" is a COUNT
// of the contact's entries minus a COUNT of those the viewer may read, each
// stopped at 1,000 entries (a read each): exact below that, a lower bound
// above (store.TimelinePage.HiddenAtLeast). No document holds a per-contact
// count: logging to an existing contact writes nothing on it, so a contact
// on every email (a shared alias) is no hot document. A page costs at most
// Limit+3 reads whatever the contact's size.
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
// the repository root, with the fields no query needs exempt from indexing:
// the large ones, and every sequential one (times, sort keys) nothing
// filters or orders by, since an indexed sequential value caps its
// collection at about 500 writes a second (indexes_test.go keeps the
// exemptions off every queried field); firestore.rules denies all client access (only the
// server, through IAM, reads and writes). Deploy both with
// `firebase deploy --only firestore` or `gcloud firestore indexes
// composite create`. Intents can be expired by a TTL policy on
// intents.expireAt: `gcloud firestore fields ttls update expireAt
// --collection-group=intents --enable-ttl`.
//
// # What instances keep in memory
//
// Many instances share one database; nothing an instance keeps in memory
// may make it decide differently from another beyond the bound stated
// here. Everything else is read from Firestore, strongly consistent, when
// it is needed.
//
//   - The compiled Never Log Lists (service, neverLogCache). No time bound:
//     none is needed. Every log decision (LogEmail, CaptureSent,
//     ComposeState) and every never-log:check reads config/neverLog and the
//     caller's userSettings/{email} after it starts, so it knows the
//     current versions of the org's and the caller's lists; it matches
//     against lists exactly at those versions or later (the compiled list,
//     plus the recorded changes when the instance is behind, or a full
//     consistent re-read it waits for when it is more than
//     store.NeverLogRecent changes behind; a 503 when that read cannot be
//     had). The guarantee, checkable in production: an email decided by
//     any instance after a Never Log add or removal was acknowledged (its
//     API call returned) by any instance respects that change. The cost is
//     one read of config/neverLog (at most ~30 KB) per decision; the whole
//     org list is read only by an instance that is that far behind, and a
//     personal list only when its user's version moved. Emails decided
//     before the change committed, by requests still in flight, are caught
//     by the purge's second pass (service.Config.DecisionWindow).
//   - The compiled erasure tombstones (service, erasedCache). No time
//     bound, as for the Never Log Lists: config/neverLog also carries the
//     tombstones' version (moved in the transaction that adds one), so the
//     decision's one read of it says whether the compiled set is current;
//     the set is re-read whole when it is not. Every tombstone stored
//     before a decision starts is honoured by every instance.
//   - The compiled sensitivity rules (service, rulesCache) and protected
//     contacts (service, protectedCache). No time bound, as for the
//     tombstones: their versions ride in config/neverLog too (moved in the
//     transaction that changes them), so a decision's one read of it says
//     whether its compiled set is current; a rule or a protection stored
//     before a decision starts is honoured by every instance. Timelines,
//     search and the contact route read the protection version
//     (config/protection) themselves: one small read.
//   - Access grants and shares: not kept. Each read of an email, a
//     timeline, search or a card queries the caller's grants, and shares
//     travel on the email; whether either is in force is decided against
//     one instant at read time, so every instance agrees the moment one
//     ends (the sweep that audits and removes them only tidies).
//   - The read audits an instance wrote (service, writtenAudits): ids only,
//     to skip a create the store would refuse. A read of a private or team
//     email by a non-owner is recorded once per viewer, email, day (UTC) and
//     way of reading under an id derived from them, created only if absent
//     (audit/{id}), so instances agree without sharing memory: one record,
//     never none. Forgetting the ids (restart, 100,000 of them) costs a
//     refused create, nothing else.
//   - Display names of users and teams (service, nameCache): for at most
//     service.nameTTL (one minute) after a rename an instance may still
//     show the old name; 20,000 names at most. Names are labels: no
//     access decision reads them. A name that could not be read is not
//     cached.
//   - Bootstrap admins (service): the configuration, the same on every
//     instance of one deployment.
//   - Capture's per-mailbox locks (capture): only spare one instance from
//     reading the same Gmail history twice; across instances the message
//     claims in watches/{user}/messages keep each message captured once.
//   - Gmail access tokens (capture, one per mailbox, until Google expires
//     them) and Google's ID-token signing keys (auth, as long as Google's
//     Cache-Control allows): credentials, not data.
//   - The embedded job driver's schedule (worker.Embedded): which jobs to
//     run when. The store's job records are the truth; what the schedule
//     loses (a restart) the sweep finds again, after the dead holder's
//     lease (service.Config.JobLease, 1 minute by default).
//
// # Transactions
//
// LogEmail (the email, its new contacts, its timeline entries and its
// audit record; then, only if a contact it read has gone since, a
// transaction that restores it while the email exists), SetVisibility, DeleteEmail, SetContactOwner, AddNeverLog,
// DeleteNeverLog, ConsumeIntent, ClaimJob, SaveJob and each purge batch
// are one transaction each; an org list change reads and rewrites
// config/neverLog in its transaction, a personal one only moves the
// user's neverLogVersion. NeverLog reads a list and its version in one
// read-only transaction, so they belong to one moment. Firestore aborts a transaction whose reads changed before it
// committed; the client retries it (up to maxTxAttempts times, backing off)
// and only then is the error a conflict. A transaction writes at most 500
// documents: an email lands on at most 249 contacts (the email, its audit
// record and two documents per contact), and AddNeverLog takes at most 249
// entries at once.
package firestore
