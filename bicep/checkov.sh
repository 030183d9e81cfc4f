#!/usr/bin/env bash
# Kept for muscle memory and old docs: the checks live in scripts/ci/checkov.sh (Bicep, Kubernetes
# manifests and workflows).
exec "$(dirname "$0")/../scripts/ci/checkov.sh" "$@"
