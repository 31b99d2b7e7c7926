#!/usr/bin/env bash
# Deploys Discreet to App Engine + Firestore, from a fresh Google Cloud
# project (billing enabled) to a working service. Run it again at any time:
# every step checks what exists, so a second run deploys a new version.
#
# Set first (in the environment, or in deploy/config.sh, which is read if
# present):
#   PROJECT   Google Cloud project id
#   REGION    App Engine region, e.g. europe-west6; Firestore's (default)
#             database goes to the matching location
#   ADMINS    comma-separated addresses made admin on first sign-in
#   DOMAINS   comma-separated internal domains: colleagues of these sign in
# Optional:
#   ADDON=http|appsscript   the Gmail add-on as an HTTP deployment (default)
#                           or through the Apps Script forwarder
#   ADDON_CLIENT_ID         with ADDON=appsscript: the script's OAuth client ID
#   CAPTURE=1               sent-mail capture: Pub/Sub topic and push
#                           subscription, keyless domain-wide delegation,
#                           the daily watch renewal in cron
#   AUDIENCE                ID-token audience(s) of the REST API (default:
#                           the service's URL)
#   DRY_RUN=1               change nothing: run only read-only queries and
#                           print every command that would change something
#
# Needs gcloud (signed in: gcloud auth login, and for firebase-tools
# gcloud auth application-default login) and npx (Node.js).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
if [[ -f deploy/config.sh ]]; then
	# shellcheck source=/dev/null
	source deploy/config.sh
fi

FIREBASE=(npx --yes firebase-tools@15)
ADDON_DEPLOYMENT=discreet
TOPIC=gmail-sent
SUBSCRIPTION=gmail-sent-push
PUSH_NAME=gmail-push
# Jobs (purges, large imports) run request-driven: each slice is a push
# from this topic's subscription to /v1/jobs:run.
JOBS_TOPIC_NAME=discreet-jobs
JOBS_SUBSCRIPTION=discreet-jobs-push
JOBS_PUSH_NAME=jobs-push
GMAIL_SCOPE=https://www.googleapis.com/auth/gmail.readonly
# Gmail publishes watch notifications as this Google-owned account.
GMAIL_PUBLISHER=gmail-api-push@system.gserviceaccount.com
# What the service and this script use: App Engine and its build, Firestore
# (and Firebase, for the rules), Gmail, Pub/Sub (jobs, capture), IAM
# Credentials (keyless delegation), IAM (the push accounts), Workspace
# add-ons, cron.
APIS=(
	appengine.googleapis.com
	cloudbuild.googleapis.com
	artifactregistry.googleapis.com
	firestore.googleapis.com
	firebase.googleapis.com
	firebaserules.googleapis.com
	gmail.googleapis.com
	pubsub.googleapis.com
	iam.googleapis.com
	iamcredentials.googleapis.com
	gsuiteaddons.googleapis.com
	cloudscheduler.googleapis.com
)

die() {
	echo "deploy: $*" >&2
	exit 1
}
say() { echo "== $*"; }

DRY_RUN=${DRY_RUN:-0}
# change runs a command that changes the project; with DRY_RUN=1 it only
# prints it. "change g …" is gcloud on the project.
change() {
	if [[ $1 == g ]]; then
		shift
		set -- gcloud --project="$PROJECT" --quiet "$@"
	fi
	if [[ $DRY_RUN == 1 ]]; then
		printf 'would run:'
		printf ' %q' "$@"
		printf '\n'
		return 0
	fi
	printf '+'
	printf ' %q' "$@"
	printf '\n'
	"$@"
}

# retry runs change up to 6 times, 10 s apart: a service account that was
# just created (App Engine's, the push account) takes a moment to be known
# to IAM.
retry() {
	local attempt
	for attempt in 1 2 3 4 5 6; do
		change "$@" && return 0
		[[ $attempt == 6 ]] || sleep "${RETRY_SLEEP:-10}"
	done
	die "gave up after 6 attempts: $*"
}

# g is gcloud on the project, never prompting.
g() { gcloud --project="$PROJECT" --quiet "$@"; }

# Values end up in YAML and JSON files: accept only what addresses,
# domains, URLs and ids are made of.
safe() {
	local name=$1 value=$2
	[[ $value =~ ^[A-Za-z0-9@._:/,+-]*$ ]] || die "$name: \"$value\" has characters this script does not put in a file"
}

# --- Inputs -----------------------------------------------------------------

PROJECT=${PROJECT:-}
REGION=${REGION:-}
ADMINS=${ADMINS:-}
ADMINS=${ADMINS// /}
DOMAINS=${DOMAINS:-}
DOMAINS=${DOMAINS// /}
ADDON=${ADDON:-http}
ADDON_CLIENT_ID=${ADDON_CLIENT_ID:-}
CAPTURE=${CAPTURE:-0}
AUDIENCE=${AUDIENCE:-}

[[ -n $PROJECT ]] || die "PROJECT: set it to the Google Cloud project id"
[[ $PROJECT =~ ^[a-z][a-z0-9-]{4,28}[a-z0-9]$ ]] || die "PROJECT: \"$PROJECT\" is not a project id"
[[ -n $REGION ]] || die "REGION: set it to an App Engine region, e.g. europe-west6"
[[ $REGION =~ ^[a-z]+-[a-z]+[0-9]*$ ]] || die "REGION: \"$REGION\" is not an App Engine region"
[[ -n $ADMINS ]] || die "ADMINS: set it to the addresses of the first admins, comma-separated"
[[ -n $DOMAINS ]] || die "DOMAINS: set it to the org's internal domains, comma-separated"
IFS=, read -r -a admin_list <<<"$ADMINS"
for a in "${admin_list[@]}"; do
	[[ $a =~ ^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$ ]] || die "ADMINS: \"$a\" is not an address"
done
IFS=, read -r -a domain_list <<<"$DOMAINS"
for d in "${domain_list[@]}"; do
	[[ $d =~ ^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$ ]] || die "DOMAINS: \"$d\" is not a domain"
done
case $ADDON in
http) ;;
appsscript) [[ -n $ADDON_CLIENT_ID ]] || die "ADDON_CLIENT_ID: ADDON=appsscript needs the Apps Script project's OAuth client ID" ;;
*) die "ADDON: \"$ADDON\" is neither http nor appsscript" ;;
esac
[[ $CAPTURE == 0 || $CAPTURE == 1 ]] || die "CAPTURE: use 1 or 0"
safe ADDON_CLIENT_ID "$ADDON_CLIENT_ID"
safe AUDIENCE "$AUDIENCE"

# Firestore names the two oldest App Engine regions differently; every other
# App Engine region is also a Firestore location of the same name.
case $REGION in
us-central) FIRESTORE_LOCATION=nam5 ;;
europe-west) FIRESTORE_LOCATION=eur3 ;;
*) FIRESTORE_LOCATION=$REGION ;;
esac

for tool in gcloud npx; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done

APP_SA=$PROJECT@appspot.gserviceaccount.com
PUSH_ACCOUNT=$PUSH_NAME@$PROJECT.iam.gserviceaccount.com
JOBS_PUSH_ACCOUNT=$JOBS_PUSH_NAME@$PROJECT.iam.gserviceaccount.com

# --- The project, App Engine and Firestore in one location -------------------

say "Project $PROJECT: App Engine in $REGION, Firestore in $FIRESTORE_LOCATION"
g projects describe "$PROJECT" --format='value(projectNumber)' >/dev/null ||
	die "cannot read project $PROJECT: does it exist, and is this account (gcloud auth login) an owner?"
# Neither location can change once set: check both before changing anything.
app_region='' db_location=''
if app_region=$(g app describe --format='value(locationId)' 2>/dev/null) && [[ -n $app_region ]]; then
	[[ $app_region == "$REGION" ]] ||
		die "REGION: App Engine already runs in $app_region (a project's App Engine region cannot change); set REGION=$app_region"
fi
if db_location=$(g firestore databases describe --database='(default)' --format='value(locationId)' 2>/dev/null) && [[ -n $db_location ]]; then
	[[ $db_location == "$FIRESTORE_LOCATION" ]] ||
		die "REGION: Firestore's (default) database is in $db_location, not in $FIRESTORE_LOCATION where App Engine in $REGION needs it"
fi

change g services enable "${APIS[@]}"
[[ -n $app_region ]] || change g app create --region="$REGION"
[[ -n $db_location ]] || change g firestore databases create --database='(default)' --location="$FIRESTORE_LOCATION" --type=firestore-native

if host=$(g app describe --format='value(defaultHostname)' 2>/dev/null) && [[ -n $host ]]; then
	BASE_URL=https://$host
else
	[[ $DRY_RUN == 1 ]] || die "App Engine has no hostname yet; run again in a minute"
	BASE_URL=https://$PROJECT.appspot.com # known once gcloud app create has run
fi
safe BASE_URL "$BASE_URL"
AUDIENCE=${AUDIENCE:-$BASE_URL}

# --- Firestore rules and indexes ---------------------------------------------------

say "Firestore rules and indexes"
if ! "${FIREBASE[@]}" projects:list --json 2>/dev/null | grep -q "\"projectId\": *\"$PROJECT\""; then
	change "${FIREBASE[@]}" projects:addfirebase "$PROJECT"
fi
change "${FIREBASE[@]}" deploy --only firestore --project "$PROJECT" --non-interactive

# --- Identities ---------------------------------------------------------------------

say "IAM"
# The server runs as App Engine's default account; new organizations give
# it no role, so it gets what it uses and nothing else.
retry g projects add-iam-policy-binding "$PROJECT" --member="serviceAccount:$APP_SA" \
	--role=roles/datastore.user --condition=None
# App Engine builds run as Cloud Build's default account, which in new
# projects is the Compute Engine default account, again without a role.
if build_sa=$(g builds get-default-service-account --format='value(serviceAccountEmail)' 2>/dev/null) && [[ -n $build_sa ]]; then
	retry g projects add-iam-policy-binding "$PROJECT" --member="serviceAccount:${build_sa##*/}" \
		--role=roles/cloudbuild.builds.builder --condition=None
else
	echo "Cloud Build's default service account is not known yet; if the build fails for lack of rights, grant it roles/cloudbuild.builds.builder"
fi

ADDON_SA=
ADDON_USER_TOKEN_AUTH=0
if [[ $ADDON == http ]]; then
	if ! ADDON_SA=$(g workspace-add-ons get-authorization --format='value(serviceAccountEmail)' 2>/dev/null) ||
		! ADDON_CLIENT_ID=$(g workspace-add-ons get-authorization --format='value(oauthClientId)' 2>/dev/null); then
		[[ $DRY_RUN == 1 ]] || die "gcloud workspace-add-ons get-authorization failed"
		ADDON_SA=service-NUMBER@gcp-sa-gsuiteaddons.iam.gserviceaccount.com ADDON_CLIENT_ID=from-get-authorization
	fi
else
	ADDON_USER_TOKEN_AUTH=1
fi
safe ADDON_SA "$ADDON_SA"
safe ADDON_CLIENT_ID "$ADDON_CLIENT_ID"

# The jobs variables of app.yaml (DISCREET_JOBS=pubsub there).
say "Jobs: topic $JOBS_TOPIC_NAME, push account $JOBS_PUSH_ACCOUNT"
JOBS_TOPIC=projects/$PROJECT/topics/$JOBS_TOPIC_NAME
JOBS_PUSH_AUDIENCE=$BASE_URL/v1/jobs:run
JOBS_PUSH_SA=$JOBS_PUSH_ACCOUNT
g pubsub topics describe "$JOBS_TOPIC_NAME" >/dev/null 2>&1 || change g pubsub topics create "$JOBS_TOPIC_NAME"
# The server publishes each job's next slice to it.
retry g pubsub topics add-iam-policy-binding "$JOBS_TOPIC_NAME" \
	--member="serviceAccount:$APP_SA" --role=roles/pubsub.publisher
g iam service-accounts describe "$JOBS_PUSH_ACCOUNT" >/dev/null 2>&1 ||
	change g iam service-accounts create "$JOBS_PUSH_NAME" --display-name="Discreet jobs push"

# The capture variables of app.yaml; empty: capture off.
DELEGATION_SA='' PUBSUB_TOPIC='' PUSH_AUDIENCE='' PUSH_SA=''
if [[ $CAPTURE == 1 ]]; then
	say "Sent-mail capture: topic $TOPIC, push account $PUSH_ACCOUNT"
	DELEGATION_SA=$APP_SA
	PUBSUB_TOPIC=projects/$PROJECT/topics/$TOPIC
	PUSH_AUDIENCE=$BASE_URL/v1/gmail/push
	PUSH_SA=$PUSH_ACCOUNT
	# Keyless delegation: the server signs its assertions as itself.
	retry g iam service-accounts add-iam-policy-binding "$APP_SA" \
		--member="serviceAccount:$APP_SA" --role=roles/iam.serviceAccountTokenCreator
	g pubsub topics describe "$TOPIC" >/dev/null 2>&1 || change g pubsub topics create "$TOPIC"
	change g pubsub topics add-iam-policy-binding "$TOPIC" \
		--member="serviceAccount:$GMAIL_PUBLISHER" --role=roles/pubsub.publisher
	g iam service-accounts describe "$PUSH_ACCOUNT" >/dev/null 2>&1 ||
		change g iam service-accounts create "$PUSH_NAME" --display-name="Discreet Gmail push"
fi

# --- The service ----------------------------------------------------------------------

say "Deploying the service to $BASE_URL"
# render IN OUT NAME=VALUE… fills the ${NAME} placeholders of IN.
render() {
	local in=$1 out=$2 text kv
	shift 2
	text=$(<"$in")
	for kv in "$@"; do
		text=${text//"\${${kv%%=*}}"/${kv#*=}}
	done
	if [[ $text =~ \$\{[A-Z_]+\} ]]; then
		die "$in has a placeholder this script does not fill: ${BASH_REMATCH[0]}"
	fi
	if [[ $DRY_RUN == 1 ]]; then
		echo "would write $out:"
		grep -E '^  DISCREET_' <<<"$text" | sed 's/^/    /' || true
	else
		printf '%s\n' "$text" >"$out"
	fi
}
render app.yaml app.deploy.yaml "BASE_URL=$BASE_URL" "AUDIENCE=$AUDIENCE" "ADMINS=$ADMINS" "DOMAINS=$DOMAINS" \
	"ADDON_SA=$ADDON_SA" "ADDON_CLIENT_ID=$ADDON_CLIENT_ID" "ADDON_USER_TOKEN_AUTH=$ADDON_USER_TOKEN_AUTH" \
	"DELEGATION_SA=$DELEGATION_SA" "PUBSUB_TOPIC=$PUBSUB_TOPIC" "PUSH_AUDIENCE=$PUSH_AUDIENCE" "PUSH_SA=$PUSH_SA" \
	"JOBS_TOPIC=$JOBS_TOPIC" "JOBS_PUSH_AUDIENCE=$JOBS_PUSH_AUDIENCE" "JOBS_PUSH_SA=$JOBS_PUSH_SA"
# cron.yaml as deployed: the jobs sweep always, the Gmail watch renewal
# only with capture (without it every renewal would fail). gcloud knows a
# cron file by its name, so the copy is .deploy/cron.yaml.
render_cron() {
	local drop=
	[[ $CAPTURE == 1 ]] || drop=/v1/gmail/watch:renew
	if [[ $DRY_RUN == 1 ]]; then
		echo "would write .deploy/cron.yaml from cron.yaml${drop:+ without $drop}"
		return
	fi
	# Each "- " line starts a cron job; one whose url is $drop is left out.
	awk -v drop="$drop" '
		function flush() {
			if (block != "" && (drop == "" || index(block, "  url: " drop "\n") == 0)) printf "%s", block
			block = ""
		}
		/^- / { flush(); injob = 1 }
		injob { block = block $0 "\n"; next }
		{ print }
		END { flush() }
	' cron.yaml >.deploy/cron.yaml
}
[[ $DRY_RUN == 1 ]] || mkdir -p .deploy
render_cron
change g app deploy app.deploy.yaml .deploy/cron.yaml

# Pub/Sub pushes each job slice with an OIDC token the service checks; the
# ack deadline is above a slice's request deadline (50 s).
jobs_push=(--push-endpoint="$JOBS_PUSH_AUDIENCE" --push-auth-service-account="$JOBS_PUSH_SA" --push-auth-token-audience="$JOBS_PUSH_AUDIENCE")
if g pubsub subscriptions describe "$JOBS_SUBSCRIPTION" >/dev/null 2>&1; then
	change g pubsub subscriptions modify-push-config "$JOBS_SUBSCRIPTION" "${jobs_push[@]}"
else
	change g pubsub subscriptions create "$JOBS_SUBSCRIPTION" --topic="$JOBS_TOPIC_NAME" "${jobs_push[@]}" \
		--ack-deadline=60 --min-retry-delay=10s --max-retry-delay=600s
fi

if [[ $CAPTURE == 1 ]]; then
	push=(--push-endpoint="$PUSH_AUDIENCE" --push-auth-service-account="$PUSH_SA" --push-auth-token-audience="$PUSH_AUDIENCE")
	if g pubsub subscriptions describe "$SUBSCRIPTION" >/dev/null 2>&1; then
		change g pubsub subscriptions modify-push-config "$SUBSCRIPTION" "${push[@]}"
	else
		change g pubsub subscriptions create "$SUBSCRIPTION" --topic="$TOPIC" "${push[@]}" \
			--ack-deadline=60 --min-retry-delay=10s --max-retry-delay=600s
	fi
fi

# --- The add-on -------------------------------------------------------------------------

HOST=$BASE_URL
fill() {
	local text
	text=$(<"$1")
	text=${text//"https://HOST"/$HOST}
	if [[ $DRY_RUN == 1 ]]; then
		echo "would write $2 from $1 for $HOST"
	else
		printf '%s\n' "$text" >"$2"
	fi
}
if [[ $ADDON == http ]]; then
	say "Gmail add-on deployment $ADDON_DEPLOYMENT"
	fill appsscript/deployment.json .deploy/deployment.json
	if g workspace-add-ons deployments describe "$ADDON_DEPLOYMENT" >/dev/null 2>&1; then
		change g workspace-add-ons deployments replace "$ADDON_DEPLOYMENT" --deployment-file=.deploy/deployment.json
	else
		change g workspace-add-ons deployments create "$ADDON_DEPLOYMENT" --deployment-file=.deploy/deployment.json
	fi
	# Installs it for the account running this script, to try it at once.
	change g workspace-add-ons deployments install "$ADDON_DEPLOYMENT"
else
	say "Gmail add-on through Apps Script"
	fill appsscript/Code.js .deploy/Code.js
	fill appsscript/appsscript.json .deploy/appsscript.json
fi

# --- What is left to do by hand -----------------------------------------------------------

echo
if [[ $DRY_RUN == 1 ]]; then
	say "Dry run: nothing was changed. The service would be at $BASE_URL."
	exit 0
fi
say "Deployed: $BASE_URL (check $BASE_URL/readyz)"
echo "Admins: $ADMINS; internal domains: $DOMAINS (set on the first start only)."
if [[ $ADDON == http ]]; then
	echo "The add-on is installed for you. For the whole domain, publish deployment $ADDON_DEPLOYMENT"
	echo "privately through the Google Workspace Marketplace SDK and install it in the Admin console"
	echo "(appsscript/README.md)."
else
	echo "Paste .deploy/Code.js and .deploy/appsscript.json into the Apps Script project whose OAuth"
	echo "client ID is $ADDON_CLIENT_ID, then Deploy -> Test deployments -> Install (appsscript/README.md)."
fi
if [[ $CAPTURE == 1 ]]; then
	client_id=$(g iam service-accounts describe "$APP_SA" --format='value(oauth2ClientId)' 2>/dev/null || echo "(gcloud iam service-accounts describe $APP_SA)")
	echo "Sent-mail capture needs one step in the Admin console (a super admin): Security -> Access and"
	echo "data control -> API controls -> Manage domain-wide delegation -> Add new: client ID $client_id,"
	echo "scope $GMAIL_SCOPE. Then renew the watches once (docs/CAPTURE.md), or wait for the daily cron."
fi
