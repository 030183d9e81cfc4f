#!/usr/bin/env bash
# Static security checks of everything that is not application code: checkov on the Bicep (framework
# bicep), the Kubernetes manifests (k8s-training/ and bicep/k8s/, framework kubernetes) and the GitHub
# workflows (framework github_actions). Installs a pinned checkov into a venv outside the repository
# (CHECKOV_VENV, default /tmp/foreact-checkov-venv). Exit 1 on any failed check or parsing error.
# Findings that do not apply are skipped next to the resource, with the reason: `//checkov:skip=ID: why`
# in Bicep, a `checkov.io/skipN: ID=why` annotation in Kubernetes, `# checkov:skip=ID: why` in workflows.
set -euo pipefail
cd "$(dirname "$0")/../.."

CHECKOV_VERSION="3.3.30"
VENV="${CHECKOV_VENV:-/tmp/foreact-checkov-venv}"

if [ ! -x "$VENV/bin/checkov" ] || [ "$("$VENV/bin/checkov" --version 2>/dev/null)" != "$CHECKOV_VERSION" ]; then
  echo "checkov: installing checkov==$CHECKOV_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

# The manifests carry ${TRAINING_*} placeholders that the deploy fills with envsubst; checkov skips a
# file it reads as a template, so it checks them rendered, as they are applied (sample values).
rendered="$(mktemp -d)"
trap 'rm -rf "$rendered"' EXIT
for f in k8s-training/*.yaml bicep/k8s/*.yaml; do
  TRAINING_NAMESPACE=foreact TRAINING_SERVICE_ACCOUNT=foreact-training TRAINING_CLIENT_ID=00000000-0000-0000-0000-000000000000 \
    envsubst '${TRAINING_NAMESPACE} ${TRAINING_SERVICE_ACCOUNT} ${TRAINING_CLIENT_ID}' < "$f" > "$rendered/$(echo "$f" | tr / _)"
done

status=0
for target in bicep:bicep "$rendered:kubernetes" .github/workflows:github_actions; do
  dir="${target%%:*}"; framework="${target##*:}"
  label="$dir"; [ "$dir" = "$rendered" ] && label="k8s-training/ + bicep/k8s/ (rendered)"
  # --skip-download: no calls to the vendor's platform (offline machines, and nothing leaves CI).
  # One JSON run per target: the summary line and the failures both come from it.
  "$VENV/bin/checkov" -d "$dir" --framework "$framework" --skip-download --quiet -o json 2>/dev/null \
    | "$VENV/bin/python" -c '
import json, sys
label = sys.argv[1]
text = sys.stdin.read().strip()
data = json.loads(text) if text else []
runs = data if isinstance(data, list) else [data]
total = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0}
failures = []
for run in runs:
    summary = run.get("summary", run)
    for key in total:
        total[key] += int(summary.get(key, 0) or 0)
    for check in (run.get("results") or {}).get("failed_checks", []):
        failures.append("  %s %s (%s:%s)" % (check["check_id"], check.get("resource", ""), check.get("file_path", ""), "-".join(map(str, check.get("file_line_range", [])))))
print("checkov %s: passed=%d failed=%d skipped=%d parsing_errors=%d" % (label, total["passed"], total["failed"], total["skipped"], total["parsing_errors"]))
for line in failures:
    print(line)
if total["passed"] + total["failed"] == 0:
    print("  nothing was checked: is the framework right?")
    sys.exit(1)
sys.exit(1 if total["failed"] or total["parsing_errors"] else 0)
' "$label ($framework)" || status=1
done

exit "$status"
