#!/usr/bin/env bash
# kubectl apply of the given manifests with ${TRAINING_NAMESPACE}, ${TRAINING_SERVICE_ACCOUNT} and
# ${TRAINING_CLIENT_ID} filled in, retried: the deploy identity's AKS RBAC Cluster Admin assignment is
# created by the same Bicep deployment, and Azure RBAC for Kubernetes can take minutes to honour a new
# assignment (403 until then). Used by the deploy workflow and the azd postprovision hook.
set -euo pipefail
: "${TRAINING_NAMESPACE:?}" "${TRAINING_SERVICE_ACCOUNT:?}" "${TRAINING_CLIENT_ID:?}"
TRIES="${APPLY_TRIES:-20}"
rendered="$(mktemp)"
trap 'rm -f "$rendered"' EXIT
for f in "$@"; do
  envsubst '${TRAINING_NAMESPACE} ${TRAINING_SERVICE_ACCOUNT} ${TRAINING_CLIENT_ID}' < "$f"
  echo '---'
done > "$rendered"

for attempt in $(seq 1 "$TRIES"); do
  if kubectl apply -f "$rendered"; then exit 0; fi
  echo "kubectl apply: attempt $attempt of $TRIES failed (role assignment not propagated yet?); retrying in 30 s" >&2
  sleep 30
done
echo "kubectl apply failed $TRIES times" >&2
exit 1
