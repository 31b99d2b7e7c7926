package firestore

import (
	"testing"

	"github.com/discreet-crm/discreet/policy"
)

// A viewer with contact grants presents their grantors' keys too: still
// one array-contains-any, so within Firestore's limit.
func TestGrantedViewerKeysFit(t *testing.T) {
	if policy.MaxGrantedViewerKeys > maxAudienceKeys {
		t.Fatalf("policy.MaxGrantedViewerKeys = %d, Firestore's array-contains-any takes %d", policy.MaxGrantedViewerKeys, maxAudienceKeys)
	}
}
