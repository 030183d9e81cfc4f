#!/usr/bin/env bash
# Fuzzes the HTTP API against docs/openapi.yaml with schemathesis (PyPI), on the local host + Azurite,
# as an admin principal. Fails on any 5xx or on a response that does not match the document.
#   bash bench/fuzz-api.sh [--max-examples 50]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=bench/.venv/fuzz
if [ ! -x "$VENV/bin/st" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q schemathesis
fi
npm run build --silent
LOG=$(mktemp)
node dist/bench/api-bench.js --serve --items 5 --horizon 28 >"$LOG" 2>&1 &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 120); do grep -q '"url"' "$LOG" && break; sleep 0.5; done
URL=$(node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").split("\n").find(x=>x.startsWith("{"));process.stdout.write(JSON.parse(l).url)' "$LOG")
ADMIN=$(node -e 'process.stdout.write(Buffer.from(JSON.stringify({identityProvider:"aad",userId:"u-admin",userDetails:"admin@contoso.com",userRoles:["authenticated","admin"]})).toString("base64"))')
"$VENV/bin/st" run docs/openapi.yaml --url "$URL/api" -H "x-ms-client-principal: $ADMIN" -H "X-Requested-With: foreact" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
  "${@:---max-examples=30}"
