#!/usr/bin/env bash
# Deploy gate: a deploy must not land in the middle of a morning run. Bicep resets the training pool's
# bounds, a zip deploy restarts the host and a new image changes what half-dispatched batches run, and
# the morning orchestration is not versioned, so an in-flight run would replay against new code.
#
#   MORNING_SCHEDULE='0 0 3 * * *' FUNC_HOST=<func>.azurewebsites.net API_APP_ID=<client id> \
#   bash scripts/ci/deploy-window.sh
#
# 1. Refuse in the LEAD_MINUTES before the scheduled start (a deploy takes ~15 min; it would straddle it).
# 2. If today's morning run (GET /api/runs/morning-<UTC date>) is still queued or running, wait for it up
#    to WAIT_MINUTES, then refuse. No app yet (first deploy) or no run today: go.
# Each poll gets its own token from a fresh sign-in (scripts/ci/az-session.sh), never one for the wait.
# Exit 0 = deploy may go on; 1 = not now (rerun the job later).
set -euo pipefail

: "${MORNING_SCHEDULE:?MORNING_SCHEDULE (6-field NCRONTAB, UTC) is required}"
LEAD_MINUTES="${LEAD_MINUTES:-30}"
WAIT_MINUTES="${WAIT_MINUTES:-90}"
POLL_SECONDS="${POLL_SECONDS:-60}"
NOW_EPOCH="${NOW_EPOCH:-$(date -u +%s)}"   # injectable for tests

say() { printf 'deploy-window: %s\n' "$*"; }

read -r _sec minute hour _rest <<< "$MORNING_SCHEDULE"
if [[ "$minute" =~ ^[0-9]+$ && "$hour" =~ ^[0-9]+$ ]]; then
  today=$(date -u -d "@$NOW_EPOCH" +%F)
  start=$(date -u -d "$today $(printf '%02d:%02d' "$hour" "$minute"):00" +%s)
  if [ "$NOW_EPOCH" -ge $((start - LEAD_MINUTES * 60)) ] && [ "$NOW_EPOCH" -lt "$start" ]; then
    say "the morning run starts at $(printf '%02d:%02d' "$hour" "$minute") UTC, within ${LEAD_MINUTES} min: not deploying now"
    exit 1
  fi
else
  say "schedule '$MORNING_SCHEDULE' has no fixed hour/minute; relying on the run-status check alone"
fi

if [ -z "${FUNC_HOST:-}" ] || [ -z "${API_APP_ID:-}" ]; then
  say "no Function App host or API app id (first deploy?): nothing can be running; go"
  exit 0
fi

# shellcheck source=SCRIPTDIR/az-session.sh
. "$(dirname "$0")/az-session.sh"

# A token per poll, from a fresh sign-in: the wait can outlast both the access token and (in GitHub
# Actions) the OIDC assertion the CLI signed in with, and a stale token would read as 401 → refuse.
run="morning-$(date -u -d "@$NOW_EPOCH" +%F)"
deadline=$((SECONDS + WAIT_MINUTES * 60))
while :; do
  token=$(az_api_token "$API_APP_ID" 2>/dev/null || true)
  if [ -z "$token" ]; then
    say "cannot get a token for api://${API_APP_ID}: refusing rather than deploying blind"
    exit 1
  fi
  body=$(mktemp)
  code=$(curl -s -o "$body" -w '%{http_code}' --max-time 20 -H "Authorization: Bearer ${token}" "https://${FUNC_HOST}/api/runs/${run}" || true)
  status=$(jq -r '.status // empty' "$body" 2>/dev/null || true)
  rm -f "$body"
  case "$code" in
    404) say "no run $run today: go"; exit 0 ;;
    000) say "the Function App does not answer (not deployed yet?): go"; exit 0 ;;
    200)
      case "$status" in
        done|failed) say "run $run is $status: go"; exit 0 ;;
        *) say "run $run is '$status'" ;;
      esac ;;
    *) say "GET /api/runs/$run answered $code: refusing rather than deploying blind"; exit 1 ;;
  esac
  if [ "$SECONDS" -ge "$deadline" ]; then
    say "run $run still '$status' after ${WAIT_MINUTES} min: not deploying now"
    exit 1
  fi
  sleep "$POLL_SECONDS"
done
