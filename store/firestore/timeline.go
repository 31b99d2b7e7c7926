package firestore

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"cloud.google.com/go/firestore"
	firestorepb "cloud.google.com/go/firestore/apiv1/firestorepb"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// hiddenCountCap bounds each count a hidden count makes. A COUNT costs a
// document read per 1,000 index entries it counts, so counting a contact's
// emails uncapped costs a read per 1,000 of them on every page (1,000
// reads for a million).
const hiddenCountCap = 1000

// Timeline answers a page with one query that reads exactly the page's
// entries (audience array-contains-any the viewer's keys, newest first,
// after the cursor), and beside it, in parallel:
//   - a count of at most Limit+1 entries from the same position, so a page
//     that ends at the end carries no next cursor, without reading the
//     entry after it (on a first page with the hidden count, that count's
//     own count of the listed entries says it, and this one is skipped);
//   - with CountHidden, a count of the contact's entries and one of those
//     the viewer may read, each up to hiddenCountCap (a read each):
//     hidden = total - visible, exact while the contact has fewer than
//     hiddenCountCap entries. With more, hidden is at least
//     hiddenCountCap - visible (HiddenAtLeast), and unknown (0,
//     HiddenAtLeast) when the viewer reads hiddenCountCap or more. A viewer
//     who reads every email (policy.SeesEveryEmail) has none hidden, and
//     nothing is counted.
//
// A page so reads at most Limit + 3 documents, whatever the contact's
// size; a first page with the hidden count Limit + 2. With All it reads every entry and marks each Visible by the same
// keys; a hidden entry keeps its id, date and owner, nothing else.
func (s *Store) Timeline(ctx context.Context, q store.TimelineQuery) (store.TimelinePage, error) {
	var page store.TimelinePage
	if q.Contact == "" {
		return page, discreet.FieldError("contact", "is required")
	}
	if q.Limit < 1 || q.Limit > 100 {
		return page, discreet.FieldError("limit", "must be between 1 and 100")
	}
	keys := unique(q.Keys)
	if len(keys) > maxAudienceKeys {
		return page, discreet.FieldError("keys", "at most %d audience keys", maxAudienceKeys)
	}
	scope := store.TimelineCursorScope(q.Contact)
	var after string
	if q.Cursor != "" {
		var err error
		if after, err = store.DecodeCursor(q.Cursor, scope); err != nil {
			return page, err
		}
	}
	contact, err := s.contactRef(q.Contact)
	if err != nil {
		return page, err
	}
	entries := contact.Collection(colTimeline).Query
	// The entries the viewer may read; none without keys (Firestore
	// rejects an empty array-contains-any).
	visible, anyVisible := entries, len(keys) > 0
	if anyVisible {
		visible = entries.Where("audience", "array-contains-any", keys)
	}
	listed := visible
	if q.All {
		listed = entries
	}
	listed = listed.OrderBy("sortKey", firestore.Desc)
	if after != "" {
		listed = listed.StartAfter(after)
	}
	listing := q.All || anyVisible

	var (
		wg                                   sync.WaitGroup
		errPage, errMore, errTotal, errCount error
		docs                                 []timelineDoc
		ahead                                int64
		total, count                         int64
	)
	countHidden := q.CountHidden && !policy.SeesEveryEmail(keys)
	// On a first page the hidden count's own count of the listed entries
	// says whether there is a next page: one read less.
	aheadFromCount := after == "" && countHidden && (q.All || anyVisible)
	if listing {
		wg.Go(func() { docs, errPage = allDocs[timelineDoc](ctx, listed.Limit(q.Limit)) })
		if !aheadFromCount {
			wg.Go(func() { ahead, errMore = countQuery(ctx, listed.Limit(q.Limit+1)) })
		}
	}
	if countHidden {
		wg.Go(func() { total, errTotal = countQuery(ctx, entries.Limit(hiddenCountCap)) })
		if anyVisible {
			wg.Go(func() { count, errCount = countQuery(ctx, visible.Limit(hiddenCountCap)) })
		}
	}
	wg.Wait()
	if err := errors.Join(errPage, errMore, errTotal, errCount); err != nil {
		return store.TimelinePage{}, wrap(err, "cannot read the timeline")
	}

	if aheadFromCount {
		ahead = count
		if q.All {
			ahead = total
		}
	}
	for _, d := range docs {
		en := store.TimelineEntry{EmailID: d.EmailID, Date: parseTS(d.Date), Owner: d.Owner}
		en.Visible = !q.All || policy.SharesKey(d.Audience, keys)
		if en.Visible {
			e := d.Summary.email()
			en.Email = &e
		}
		page.Entries = append(page.Entries, en)
	}
	if len(docs) == q.Limit && ahead > int64(q.Limit) {
		page.Next = store.EncodeCursor(scope, docs[len(docs)-1].SortKey)
	}
	if countHidden {
		switch {
		case total < hiddenCountCap:
			page.Hidden = int(max(total-count, 0))
		case count < hiddenCountCap:
			page.Hidden, page.HiddenAtLeast = int(hiddenCountCap-count), true
		default:
			page.HiddenAtLeast = true
		}
	}
	return page, nil
}

// countQuery runs a COUNT aggregation: it reads index entries, not
// documents.
func countQuery(ctx context.Context, q firestore.Query) (int64, error) {
	res, err := q.NewAggregationQuery().WithCount("n").Get(ctx)
	if err != nil {
		return 0, err
	}
	switch v := res["n"].(type) {
	case int64:
		return v, nil
	case *firestorepb.Value:
		return v.GetIntegerValue(), nil
	}
	return 0, fmt.Errorf("firestore: count aggregation returned %T", res["n"])
}
