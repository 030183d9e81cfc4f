#!/usr/bin/env bash
# Post-deploy smoke test of one environment; the deploy workflow runs it after every stage, `azd up` after
# provisioning. Needs bash, curl, jq, sha256sum and an Azure CLI.
#
#   SWA_HOST=<swa>.azurestaticapps.net FUNC_HOST=<func>.azurewebsites.net API_APP_ID=<client id> \
#   DATA_ACCOUNT=<data storage account> bash scripts/smoke/smoke.sh
#
# What each step proves (and what it does not):
#   1. health: GET https://$SWA_HOST/api/health is 200: the dashboard host reaches its linked backend
#      through authsettingsV2, and the backend reaches storage.
#   2. no forged principals: an admin x-ms-client-principal sent straight to the Function App, and a call
#      with no credentials at all, get 401/403 from the platform (authsettingsV2).
#   3. ingestion: a small CSV uploaded to the data account's uploads/ container shows up in the
#      `ingestions` table: Event Grid -> queue (with the topic's identity) -> ingest-sales, the Function
#      App's table and container roles.
#   4. the AKS path: POST /api/stores/$SMOKE_STORE/check-run starts a one-store morning run through the
#      morning run's own dispatch backend (FOREACT_DISPATCH=aks): a Kubernetes Job on the training pool, a
#      pod signing in with workload identity through the NetworkPolicy, the trainer's storage roles and its
#      publish. Passes only when the run is `done` with backend `aks` and the store in `published`, and
#      the API then serves that run: GET /api/stores names it as the store's current run and
#      GET /api/forecasts returns its rows.
#   5. refresh: a POST with a foreign Origin gets 403, and POST /api/stores/$SMOKE_STORE/refresh with the
#      dashboard's Origin (https://$SWA_HOST, FOREACT_APP_ORIGIN) reaches `done`. Refreshes train inside the Function
#      App by design (FOREACT_REFRESH_DISPATCH=local, worker threads), so this proves the refresh
#      orchestration and the app's own training and publish, not AKS (step 4 does that).
#
# Who runs it (SMOKE_AS):
#   app   (default; the deploy workflow) the deploy identity. Its app-only Entra token for the API's app
#         registration (audience api://$API_APP_ID) is accepted by authsettingsV2 only for the client ids
#         in trustedClientAppIds, and the app maps it to the `operator` role (FOREACT_TRUSTED_APP_IDS),
#         which may start runs of the stores in FOREACT_OPERATOR_STORES (`smoke`) and read run status.
#         Steps 4-5 use it; the upload and the table read (step 3) use its two narrow storage roles.
#   user  a person's own `az login` (azd up without a smoke service principal). Steps 1-3 run with that
#         sign-in (the deployer's storage roles); steps 4-5 need an app-only token, which a person's
#         delegated token is not, so they are NOT run, and the script says so at the end.
#
# In GitHub Actions every token is taken from a fresh OIDC sign-in (scripts/ci/az-session.sh): the
# smoke test can outlast the sign-in of the step before it.
set -euo pipefail

: "${SWA_HOST:?SWA_HOST (Static Web App host name) is required}"
: "${FUNC_HOST:?FUNC_HOST (Function App host name) is required}"
: "${DATA_ACCOUNT:?DATA_ACCOUNT (data storage account name) is required}"
SMOKE_AS="${SMOKE_AS:-app}"
case "$SMOKE_AS" in
  app) : "${API_APP_ID:?API_APP_ID (client id of the API app registration, docs/deployment.md) is required}" ;;
  user) ;;
  *) echo "smoke: SMOKE_AS must be app or user, not '$SMOKE_AS'" >&2; exit 2 ;;
esac
SMOKE_STORE="${SMOKE_STORE:-smoke}"
HEALTH_TRIES="${HEALTH_TRIES:-30}"
INGEST_TIMEOUT_S="${INGEST_TIMEOUT_S:-600}"
CHECK_RUN_TIMEOUT_S="${CHECK_RUN_TIMEOUT_S:-1500}"   # a training node may have to boot first (pool at 0)
REFRESH_TIMEOUT_S="${REFRESH_TIMEOUT_S:-600}"
MORNING_WAIT_S="${MORNING_WAIT_S:-5400}"   # a check run waits (409) while the day's morning run is in progress
POLL_SECONDS="${POLL_SECONDS:-15}"
RETRY_SECONDS="${RETRY_SECONDS:-10}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
say() { printf 'smoke: %s\n' "$*"; }
fail() { printf 'smoke: FAILED: %s\n' "$*" >&2; [ -n "${GITHUB_ACTIONS:-}" ] && printf '::error::smoke: %s\n' "$*"; exit 1; }
# shellcheck source=SCRIPTDIR/../ci/az-session.sh
. "$(dirname "$0")/../ci/az-session.sh"

# --- 1. health through the Static Web App --------------------------------------------------------
code=000
for attempt in $(seq 1 "$HEALTH_TRIES"); do
  code=$(curl -s -o "$work/health.json" -w '%{http_code}' --max-time 20 "https://${SWA_HOST}/api/health" || true)
  [ "$code" = 200 ] && break
  say "health attempt $attempt: HTTP $code; retrying in ${RETRY_SECONDS} s"
  sleep "$RETRY_SECONDS"
done
[ "$code" = 200 ] || fail "https://${SWA_HOST}/api/health answered $code"
say "health: $(jq -c '{status, version}' "$work/health.json")"

# --- 2. a forged admin principal straight to the Function App is refused -------------------------
forged=$(printf '{"identityProvider":"aad","userId":"smoke-forged","userDetails":"mallory@example.com","userRoles":["admin","authenticated"]}' | base64 -w0)
for probe in "GET /api/stores" "POST /api/stores/${SMOKE_STORE}/refresh" "POST /api/stores/${SMOKE_STORE}/check-run" "GET /api/health"; do
  method="${probe%% *}"; path="${probe#* }"
  # With the dashboard's X-Requested-With, so that only the platform's authentication can refuse it.
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 -X "$method" -H "x-ms-client-principal: ${forged}" -H 'X-Requested-With: foreact' "https://${FUNC_HOST}${path}" || true)
  case "$code" in
    401|403) say "forged principal, $probe on the Function App: $code (refused)" ;;
    *) fail "a forged admin principal sent to https://${FUNC_HOST}${path} got $code, not 401/403" ;;
  esac
done

# A token from a fresh sign-in for every API call: steps 4-5 poll for up to half an hour.
api() {
  local token
  token=$(az_api_token "$API_APP_ID") || fail "no token for api://${API_APP_ID}: is the deploy identity's client id in smokeClientId?"
  curl -s --max-time 30 -H "Authorization: Bearer ${token}" "$@"
}

# --- 3. one small upload is ingested ---------------------------------------------------------------
# Random quantities make the content (and so its idempotency key) new on every run: a re-run must ingest
# again, not find yesterday's record.
csv="$work/smoke.csv"
{
  echo 'date,store,item,sales'
  for back in $(seq 120 -1 1); do
    day=$(date -u -d "-${back} days" +%F)
    echo "${day},${SMOKE_STORE},smoke-a,$((RANDOM % 9 + 1))"
    echo "${day},${SMOKE_STORE},smoke-b,$((RANDOM % 4))"
  done
} > "$csv"
key=$(sha256sum "$csv" | cut -d' ' -f1)
az_fresh_session || fail "cannot sign in again (OIDC) for the storage steps"
blob="smoke/$(date -u +%Y%m%dT%H%M%SZ)-${key:0:12}.csv"
az storage blob upload --auth-mode login --account-name "$DATA_ACCOUNT" --container-name uploads \
  --name "$blob" --file "$csv" --only-show-errors --output none
say "uploaded uploads/$blob (content key ${key:0:12}…)"

deadline=$((SECONDS + INGEST_TIMEOUT_S))
status=""
while [ "$SECONDS" -lt "$deadline" ]; do
  status=$(az storage entity show --auth-mode login --account-name "$DATA_ACCOUNT" --table-name ingestions \
    --partition-key "$key" --row-key upload --query status -o tsv 2>/dev/null || true)
  [ -n "$status" ] && break
  sleep "$RETRY_SECONDS"
done
[ "$status" = applied ] || fail "upload $blob was not ingested within ${INGEST_TIMEOUT_S} s (ingestions status: '${status:-none}')"
say "ingested: status $status"

if [ "$SMOKE_AS" = user ]; then
  cat <<EOF
smoke: steps 1-3 passed with your own sign-in. NOT checked, because they need an app-only Entra token
smoke: for api://<FOREACT_API_APP_ID> from a client id in smokeClientId, and the Function App refuses a
smoke: person's (delegated) token by design:
smoke:   4. the AKS path: a one-store morning run as a Kubernetes Job (workload identity, NetworkPolicy,
smoke:      the trainer's roles, its publish) and its forecast read back through the API;
smoke:   5. a store refresh through the API.
smoke: The first real Job then runs at the morning schedule with nobody watching. To check them now, set
smoke: FOREACT_API_APP_ID and FOREACT_SMOKE_CLIENT_ID (azd env set), run azd provision, and run
smoke: scripts/ci/azd-release.sh signed in as that service principal; or let the deploy workflow run
smoke: the stage (docs/deployment.md).
EOF
  exit 0
fi

# Polls GET <status url> until done or failed; leaves the last answer in $work/run.json.
poll_run() {
  local status_url="$1" timeout_s="$2" what="$3" deadline code run_status=""
  deadline=$((SECONDS + timeout_s))
  while [ "$SECONDS" -lt "$deadline" ]; do
    code=$(api -o "$work/run.json" -w '%{http_code}' "https://${FUNC_HOST}${status_url}" || true)
    if [ "$code" = 200 ]; then
      run_status=$(jq -r .status "$work/run.json")
      case "$run_status" in done|failed) break ;; esac
    fi
    sleep "$POLL_SECONDS"
  done
  case "$run_status" in
    done) ;;
    failed) fail "$what failed: $(jq -c . "$work/run.json")" ;;
    *) fail "$what not done within ${timeout_s} s (last status '${run_status:-none}')" ;;
  esac
}

# --- 4. one store through the AKS Job backend, read back through the API --------------------------
# 409 = the day's morning run is in progress (a check run would take its nodes): wait for it, as the gate does.
deadline=$((SECONDS + MORNING_WAIT_S))
while :; do
  code=$(api -o "$work/check.json" -w '%{http_code}' -X POST -H 'X-Requested-With: foreact' "https://${FUNC_HOST}/api/stores/${SMOKE_STORE}/check-run" || true)
  [ "$code" = 409 ] && [ "$SECONDS" -lt "$deadline" ] || break
  say "check run refused for now (409: $(jq -r '.error.message // .message // empty' "$work/check.json" 2>/dev/null)); retrying in ${RETRY_SECONDS} s"
  sleep "$RETRY_SECONDS"
done
[ "$code" = 202 ] || fail "POST /api/stores/${SMOKE_STORE}/check-run answered $code: $(head -c 500 "$work/check.json" 2>/dev/null)"
check_run=$(jq -r '.runId // empty' "$work/check.json")
check_url=$(jq -r '.statusUrl // empty' "$work/check.json")
[ -n "$check_run" ] && [ -n "$check_url" ] || fail "check-run answered 202 without runId/statusUrl: $(head -c 500 "$work/check.json")"
say "check run started: $(jq -c '{runId, store}' "$work/check.json")"
poll_run "$check_url" "$CHECK_RUN_TIMEOUT_S" "check run ${check_run} of ${SMOKE_STORE}"
backend=$(jq -r '.backend // empty' "$work/run.json")
[ "$backend" = aks ] || fail "check run ${check_run} ran on backend '${backend:-none}', not aks: the AKS path was not exercised ($(jq -c . "$work/run.json"))"
jq -e --arg s "$SMOKE_STORE" '(.published // []) | index($s) != null' "$work/run.json" >/dev/null \
  || fail "check run ${check_run} is done but did not publish ${SMOKE_STORE}: $(jq -c . "$work/run.json")"
say "check run: done on aks, published ${SMOKE_STORE}"

code=$(api -o "$work/stores.json" -w '%{http_code}' "https://${FUNC_HOST}/api/stores" || true)
[ "$code" = 200 ] || fail "GET /api/stores answered $code"
current=$(jq -r --arg s "$SMOKE_STORE" '.stores[]? | select(.store == $s) | .freshness.currentRunId // empty' "$work/stores.json")
[ "$current" = "$check_run" ] || fail "GET /api/stores: ${SMOKE_STORE}'s current run is '${current:-none}', not the check run ${check_run}"
# Each instance caches a store's pointer for FOREACT_API_POINTER_CACHE_MS (2 s): read until the check run shows.
for attempt in 1 2 3 4 5 6; do
  code=$(api -o "$work/forecasts.json" -w '%{http_code}' "https://${FUNC_HOST}/api/forecasts?stores=${SMOKE_STORE}" || true)
  [ "$code" = 200 ] || fail "GET /api/forecasts?stores=${SMOKE_STORE} answered $code"
  shown=$(jq -r --arg s "$SMOKE_STORE" '.stores[]? | select(.store == $s) | .freshness.currentRunId // empty' "$work/forecasts.json")
  [ "$shown" = "$check_run" ] && break
  sleep 2
done
[ "$shown" = "$check_run" ] || fail "GET /api/forecasts?stores=${SMOKE_STORE} still serves run '${shown:-none}', not the check run ${check_run}"
rows=$(jq -r --arg s "$SMOKE_STORE" '[.stores[]? | select(.store == $s) | .items[]?] | length' "$work/forecasts.json")
[ "${rows:-0}" -gt 0 ] || fail "GET /api/forecasts?stores=${SMOKE_STORE} returned no rows after the check run"
say "API: ${SMOKE_STORE} is current at ${check_run}, ${rows} item forecasts readable"

# --- 5. one store refresh reaches done (trains in the Function App: FOREACT_REFRESH_DISPATCH=local) -
# A foreign Origin is refused even with the dashboard's header; the dashboard's own Origin (the Static Web
# App, FOREACT_APP_ORIGIN) is accepted, so the setting Bicep derives from the site's host name is proved.
code=$(api -o "$work/cross-site.json" -w '%{http_code}' -X POST -H 'X-Requested-With: foreact' -H 'Origin: https://cross-site.invalid' "https://${FUNC_HOST}/api/stores/${SMOKE_STORE}/refresh" || true)
[ "$code" = 403 ] || fail "a refresh POST with a foreign Origin answered $code, not 403 (cross-site check)"
say "cross-site: a foreign Origin is refused (403)"
code=$(api -o "$work/refresh.json" -w '%{http_code}' -X POST -H 'X-Requested-With: foreact' -H "Origin: https://${SWA_HOST}" "https://${FUNC_HOST}/api/stores/${SMOKE_STORE}/refresh" || true)
[ "$code" = 202 ] || fail "POST /api/stores/${SMOKE_STORE}/refresh answered $code: $(head -c 500 "$work/refresh.json" 2>/dev/null)"
say "refresh started: $(jq -c '{runId, status, joined}' "$work/refresh.json")"
poll_run "$(jq -r .statusUrl "$work/refresh.json")" "$REFRESH_TIMEOUT_S" "refresh of ${SMOKE_STORE}"
say "refresh: done ($(jq -c '{runId, status}' "$work/run.json"))"

say "all checks passed"
