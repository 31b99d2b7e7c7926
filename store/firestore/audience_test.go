package firestore

import (
	"fmt"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
)

// TestViewerKeysFit: policy bounds the keys a viewer presents without
// knowing Firestore; this adapter's query limit must hold them all, or a
// user with the most teams the service allows could not see a timeline.
func TestViewerKeysFit(t *testing.T) {
	if policy.MaxViewerKeys > maxAudienceKeys {
		t.Fatalf("policy.MaxViewerKeys = %d, Firestore's array-contains-any takes %d", policy.MaxViewerKeys, maxAudienceKeys)
	}
	teams := make([]string, policy.MaxTeamsPerUser)
	for i := range teams {
		teams[i] = fmt.Sprintf("t%d", i)
	}
	for _, role := range discreet.Roles {
		v := discreet.User{Email: "busy@acme.example", Role: role, Teams: teams}
		for _, arp := range []bool{false, true} {
			s := discreet.DefaultOrgSettings()
			s.AdminsReadPrivate = arp
			if n := len(policy.ViewerAudience(v, s, discreet.AccessFull)); n > maxAudienceKeys {
				t.Errorf("%s with %d teams presents %d keys, limit %d", role, len(teams), n, maxAudienceKeys)
			}
		}
	}
}
