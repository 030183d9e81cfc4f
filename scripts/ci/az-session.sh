# shellcheck shell=bash
# Sourced (not run) by deploy-window.sh and smoke.sh: tokens for steps that outlive one sign-in.
#
# In GitHub Actions, azure/login signs the CLI in with a GitHub OIDC token that is valid for minutes; the
# CLI cannot mint a token for a new resource (or renew one) once that assertion has expired, so a gate that
# waits 90 minutes, or a smoke test that polls for 25, must sign in again. az_fresh_session asks GitHub for a
# new OIDC token (ACTIONS_ID_TOKEN_REQUEST_*, present when the job has `id-token: write`) and signs the CLI
# in with it. Elsewhere (a person's `az login`, azd) the CLI renews its own tokens and this does nothing.
#
# Needs AZURE_CLIENT_ID and AZURE_TENANT_ID (the deploy identity; the workflow sets them from its
# variables) and, when set, selects AZURE_SUBSCRIPTION_ID.

# A sign-in younger than AZ_SESSION_MAX_AGE_S (default 240 s, below the assertion's lifetime) is reused,
# so a smoke test polling every 15 s does not sign in 15 s apart; the CLI still renews tokens from it.
az_fresh_session() {
  if [ -z "${ACTIONS_ID_TOKEN_REQUEST_URL:-}" ] || [ -z "${ACTIONS_ID_TOKEN_REQUEST_TOKEN:-}" ]; then return 0; fi
  local stamp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/foreact-az-session.stamp" now last
  now=$(date -u +%s)
  last=$(cat "$stamp" 2>/dev/null || echo 0)
  if [ $((now - last)) -lt "${AZ_SESSION_MAX_AGE_S:-240}" ]; then return 0; fi
  if [ -z "${AZURE_CLIENT_ID:-}" ] || [ -z "${AZURE_TENANT_ID:-}" ]; then
    echo "az-session: AZURE_CLIENT_ID and AZURE_TENANT_ID are needed to sign in again with OIDC" >&2
    return 1
  fi
  local oidc
  oidc=$(curl -sS --fail --max-time 20 -H "Authorization: Bearer ${ACTIONS_ID_TOKEN_REQUEST_TOKEN}" \
    "${ACTIONS_ID_TOKEN_REQUEST_URL}&audience=api://AzureADTokenExchange" | jq -r '.value // empty') || return 1
  [ -n "$oidc" ] || { echo "az-session: GitHub returned no OIDC token" >&2; return 1; }
  az login --service-principal --username "$AZURE_CLIENT_ID" --tenant "$AZURE_TENANT_ID" --federated-token "$oidc" \
    --allow-no-subscriptions --output none --only-show-errors || return 1
  if [ -n "${AZURE_SUBSCRIPTION_ID:-}" ]; then az account set --subscription "$AZURE_SUBSCRIPTION_ID" --only-show-errors || return 1; fi
  printf '%s\n' "$now" > "$stamp"
}

# An access token for the API app registration (audience api://<client id>), from a fresh session.
az_api_token() {
  az_fresh_session >&2 || return 1
  az account get-access-token --resource "api://$1" --query accessToken -o tsv
}
