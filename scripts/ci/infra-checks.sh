#!/usr/bin/env bash
# Checks of the infrastructure code that need no Azure: every .bicep parses (pycep), checkov is clean on
# the Bicep, the Kubernetes manifests and the workflows, and actionlint passes on the workflows.
# Installs what it needs outside the repository: checkov (with pycep) in a venv, actionlint with
# `go install` from the Go module proxy. Quiet unless something fails.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV="${CHECKOV_VENV:-/tmp/foreact-checkov-venv}"
ACTIONLINT_VERSION="v1.7.12"
GOBIN_DIR="${ACTIONLINT_BIN:-/tmp/foreact-go-bin}"

# checkov.sh installs the pinned checkov (pycep-parser comes with it) when it is missing.
bash scripts/ci/checkov.sh
"$VENV/bin/python" scripts/ci/parse_bicep.py bicep

if [ ! -x "$GOBIN_DIR/actionlint" ] || [ "$("$GOBIN_DIR/actionlint" -version 2>/dev/null | head -1)" != "$ACTIONLINT_VERSION" ]; then
  command -v go >/dev/null 2>&1 || { echo "infra-checks: go is needed to install actionlint" >&2; exit 1; }
  echo "infra-checks: installing actionlint $ACTIONLINT_VERSION"
  GOBIN="$GOBIN_DIR" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" 2>/dev/null
fi
"$GOBIN_DIR/actionlint" && echo "actionlint: $(find .github/workflows -name '*.yml' | wc -l) workflows pass"
