#!/usr/bin/env bash
# Static security checks of the infrastructure code: checkov on the Bicep (framework bicep) and on the
# GitHub workflows (framework github_actions). Installs a pinned checkov into a venv outside the
# repository (CHECKOV_VENV, default /tmp/foreact-checkov-venv) and exits non-zero on a failed check.
# Findings that do not apply are skipped inline in the Bicep with `//checkov:skip=ID: reason`.
set -euo pipefail
cd "$(dirname "$0")/.."

CHECKOV_VERSION="3.3.30"
VENV="${CHECKOV_VENV:-/tmp/foreact-checkov-venv}"

if [ ! -x "$VENV/bin/checkov" ] || [ "$("$VENV/bin/checkov" --version 2>/dev/null)" != "$CHECKOV_VERSION" ]; then
  echo "checkov: installing checkov==$CHECKOV_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

# --skip-download: no calls to the vendor's platform (offline machines, and nothing leaves CI).
common=(--skip-download --compact --quiet)
status=0

echo "checkov: bicep/ (framework bicep)"
"$VENV/bin/checkov" -d bicep --framework bicep "${common[@]}" || status=$?

echo "checkov: .github/workflows (framework github_actions)"
"$VENV/bin/checkov" -d .github/workflows --framework github_actions "${common[@]}" || status=$?

# Counts (passed/failed/skipped) of both runs, for the log.
for target in "bicep:bicep" ".github/workflows:github_actions"; do
  dir="${target%%:*}"; framework="${target##*:}"
  "$VENV/bin/checkov" -d "$dir" --framework "$framework" --skip-download -o json 2>/dev/null \
    | python3 -c 'import json,sys
d=json.load(sys.stdin); runs=d if isinstance(d,list) else [d]
for r in runs:
    s=r.get("summary",r)
    print("checkov summary %s: passed=%s failed=%s skipped=%s parsing_errors=%s" % (sys.argv[1], s.get("passed",0), s.get("failed",0), s.get("skipped",0), s.get("parsing_errors",0)))' "$dir" || true
done

exit "$status"
