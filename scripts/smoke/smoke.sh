#!/usr/bin/env bash
# Post-deploy smoke test of one environment; the deploy workflow runs it after every stage, `azd up` after
# provisioning. Needs bash, curl, jq, sha256sum and an Azure CLI signed in as the deploy identity.
#
#   SWA_HOST=<swa>.azurestaticapps.net FUNC_HOST=<func>.azurewebsites.net API_APP_ID=<client id> \
#   DATA_ACCOUNT=<data storage account> bash scripts/smoke/smoke.sh
#
# What it proves, in order:
#   1. health: GET https://$SWA_HOST/api/health is 200 (dashboard host → linked backend → storage).
#   2. no forged principals: an admin x-ms-client-principal sent straight to the Function App, and a call
#      with no credentials at all, get 401/403 from the platform (authsettingsV2).
#   3. ingestion: a small CSV uploaded to the data account's uploads/ container shows up in the
#      `ingestions` table (Event Grid → queue → ingest-sales, with its content hash as the key).
#   4. refresh: POST /api/stores/$SMOKE_STORE/refresh reaches `done` (orchestration → AKS Job → trainer →
#      forecasts published), polled through GET /api/runs/{id}.
#
# How it authenticates (no stored secret): steps 3-4 use the deploy identity. Its app-only Entra token
# for the API's app registration (audience api://$API_APP_ID) is the only credential besides the
# Static Web App that the Function App's authsettingsV2 accepts; the upload and the table read use its
# two narrow storage roles (roles.bicep: write on uploads/, read on ingestions).
set -euo pipefail

: "${SWA_HOST:?SWA_HOST (Static Web App host name) is required}"
: "${FUNC_HOST:?FUNC_HOST (Function App host name) is required}"
: "${API_APP_ID:?API_APP_ID (client id of the API app registration, docs/deployment.md) is required}"
: "${DATA_ACCOUNT:?DATA_ACCOUNT (data storage account name) is required}"
SMOKE_STORE="${SMOKE_STORE:-smoke}"
HEALTH_TRIES="${HEALTH_TRIES:-30}"
INGEST_TIMEOUT_S="${INGEST_TIMEOUT_S:-600}"
REFRESH_TIMEOUT_S="${REFRESH_TIMEOUT_S:-1500}"   # a training node may have to boot first (pool at 0)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
say() { printf 'smoke: %s\n' "$*"; }
fail() { printf 'smoke: FAILED: %s\n' "$*" >&2; [ -n "${GITHUB_ACTIONS:-}" ] && printf '::error::smoke: %s\n' "$*"; exit 1; }

# --- 1. health through the Static Web App --------------------------------------------------------
code=000
for attempt in $(seq 1 "$HEALTH_TRIES"); do
  code=$(curl -s -o "$work/health.json" -w '%{http_code}' --max-time 20 "https://${SWA_HOST}/api/health" || true)
  [ "$code" = 200 ] && break
  say "health attempt $attempt: HTTP $code; retrying in 10 s"
  sleep 10
done
[ "$code" = 200 ] || fail "https://${SWA_HOST}/api/health answered $code"
say "health: $(jq -c '{status, version}' "$work/health.json")"

# --- 2. a forged admin principal straight to the Function App is refused -------------------------
forged=$(printf '{"identityProvider":"aad","userId":"smoke-forged","userDetails":"mallory@example.com","userRoles":["admin","authenticated"]}' | base64 -w0)
for probe in "GET /api/stores" "POST /api/stores/${SMOKE_STORE}/refresh" "GET /api/health"; do
  method="${probe%% *}"; path="${probe#* }"
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 -X "$method" -H "x-ms-client-principal: ${forged}" "https://${FUNC_HOST}${path}" || true)
  case "$code" in
    401|403) say "forged principal, $probe on the Function App: $code (refused)" ;;
    *) fail "a forged admin principal sent to https://${FUNC_HOST}${path} got $code, not 401/403" ;;
  esac
done

token=$(az account get-access-token --resource "api://${API_APP_ID}" --query accessToken -o tsv) \
  || fail "no token for api://${API_APP_ID}: is the deploy identity's client id in smokeClientId?"
api() { curl -s --max-time 30 -H "Authorization: Bearer ${token}" "$@"; }

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
  sleep 10
done
[ "$status" = applied ] || fail "upload $blob was not ingested within ${INGEST_TIMEOUT_S} s (ingestions status: '${status:-none}')"
say "ingested: status $status"

# --- 4. one store refresh reaches done -------------------------------------------------------------
code=$(api -o "$work/refresh.json" -w '%{http_code}' -X POST "https://${FUNC_HOST}/api/stores/${SMOKE_STORE}/refresh" || true)
[ "$code" = 202 ] || fail "POST /api/stores/${SMOKE_STORE}/refresh answered $code: $(head -c 500 "$work/refresh.json" 2>/dev/null)"
status_url=$(jq -r .statusUrl "$work/refresh.json")
say "refresh started: $(jq -c '{runId, status, joined}' "$work/refresh.json")"

deadline=$((SECONDS + REFRESH_TIMEOUT_S))
run_status=""
while [ "$SECONDS" -lt "$deadline" ]; do
  code=$(api -o "$work/run.json" -w '%{http_code}' "https://${FUNC_HOST}${status_url}" || true)
  if [ "$code" = 200 ]; then
    run_status=$(jq -r .status "$work/run.json")
    case "$run_status" in done|failed) break ;; esac
  fi
  sleep 15
done
case "$run_status" in
  done) say "refresh: done ($(jq -c '{runId, status}' "$work/run.json"))" ;;
  failed) fail "refresh of ${SMOKE_STORE} failed: $(jq -c . "$work/run.json")" ;;
  *) fail "refresh of ${SMOKE_STORE} not done within ${REFRESH_TIMEOUT_S} s (last status '${run_status:-none}')" ;;
esac

say "all checks passed"
