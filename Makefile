# The one test command: every Go test with the race detector, and the Apps
# Script add-on's Node tests. Tests needing the emulators or Chromium skip on
# a laptop without them unless CI is set.
.PHONY: test run bench deploy

test:
	go test -race -count=1 -timeout 20m ./...
	@if [ -d appsscript ] && ls appsscript/*.test.js >/dev/null 2>&1; then node --test appsscript/; fi

run:
	go run ./cmd/discreet

bench:
	go test -run='^$$' -bench=. -benchmem ./policy ./store/sqlite

# Deploy to App Engine + Firestore: set PROJECT, REGION, ADMINS and DOMAINS
# first (README, Deploy); DRY_RUN=1 shows what would change.
deploy:
	bash deploy/deploy.sh
