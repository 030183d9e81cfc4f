#!/usr/bin/env bash
# The smoke test at the end of `azd up` (scripts/ci/azd-release.sh), with whoever the Azure CLI is signed
# in as. Reads the Bicep outputs azd exports (UPPER_SNAKE of each output name).
#
# - Signed in as the smoke service principal (FOREACT_API_APP_ID and FOREACT_SMOKE_CLIENT_ID set, and
#   `az account show` is that client id): the full smoke test, as the deploy workflow runs it.
# - Otherwise, a person's own sign-in: steps 1-3 (health, forged principals, ingestion) run with it; the
#   API steps (4: the AKS Job path, 5: refresh) need an app-only token, which a person's delegated token is
#   not and the Function App does not accept, so smoke.sh prints exactly what was not checked and why.
set -euo pipefail
cd "$(dirname "$0")/../.."

who_type=$(az account show --query user.type -o tsv 2>/dev/null || true)
who_name=$(az account show --query user.name -o tsv 2>/dev/null || true)
why=""
if [ -z "${FOREACT_API_APP_ID:-}" ]; then
  why="FOREACT_API_APP_ID is not set (no API app registration, so nothing but the Static Web App can call the Function App)"
elif [ -z "${FOREACT_SMOKE_CLIENT_ID:-}" ]; then
  why="FOREACT_SMOKE_CLIENT_ID is not set (no smoke service principal is trusted by the Function App)"
elif [ "${who_type:-}" != servicePrincipal ] || [ "${who_name:-}" != "$FOREACT_SMOKE_CLIENT_ID" ]; then
  why="the Azure CLI is signed in as ${who_type:-nobody} ${who_name:-}, not as the smoke service principal ${FOREACT_SMOKE_CLIENT_ID}"
fi

export SWA_HOST="${STATICWEBAPPHOSTNAME:?}" FUNC_HOST="${FUNCTIONAPPHOSTNAME:?}" DATA_ACCOUNT="${DATASTORAGEACCOUNTNAME:?}"
if [ -z "$why" ]; then
  SMOKE_AS=app API_APP_ID="$FOREACT_API_APP_ID" bash scripts/smoke/smoke.sh
else
  echo "release: smoke test with your own sign-in: the API steps cannot run because $why"
  SMOKE_AS=user bash scripts/smoke/smoke.sh
fi
