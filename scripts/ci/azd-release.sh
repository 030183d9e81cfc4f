#!/usr/bin/env bash
# azd postprovision hook: releases what `npm run package` built (preprovision) into the environment azd
# just provisioned, in the same order as the deploy workflow (.github/workflows/deploy-stage.yml):
# image pushed and its tag locked → Function App zip → FOREACT_AKS_IMAGE → Kubernetes objects (with
# retry while role assignments propagate) → dashboard → smoke test. Reads the Bicep outputs that azd
# exports as environment variables (UPPER_SNAKE of each output name).
set -euo pipefail
cd "$(dirname "$0")/../.."

rg="${RESOURCEGROUPNAME:-${AZURE_RESOURCE_GROUP:?}}"
tag="$(git rev-parse --short=12 HEAD 2>/dev/null || date -u +%Y%m%d%H%M%S)"
[ -z "$(git status --porcelain 2>/dev/null)" ] || tag="${tag}-dirty-$(date -u +%H%M%S)"
image="${REGISTRYLOGINSERVER:?}/foreact-trainer:${tag}"

echo "release: training image $image"
az acr login --name "${REGISTRYNAME:?}"
# On a digest-pinned base (TRAINER_BASE_IMAGE, e.g. from `azd env set`; else the tag's digest now).
bash scripts/ci/build-training-image.sh out/training-image "$image"
docker push "$image"
az acr repository update --name "$REGISTRYNAME" --image "foreact-trainer:${tag}" --write-enabled false --output none

echo "release: Function App ${FUNCTIONAPPNAME:?}"
az functionapp deployment source config-zip --resource-group "$rg" --name "$FUNCTIONAPPNAME" --src out/functionapp.zip
az functionapp config appsettings set --resource-group "$rg" --name "$FUNCTIONAPPNAME" --settings "FOREACT_AKS_IMAGE=${image}" --output none
# The next `azd provision` must keep this image, not go back to the bootstrap tag.
azd env set FOREACT_IMAGE_TAG "$tag" >/dev/null 2>&1 || true

echo "release: Kubernetes objects on ${AKSNAME:?}"
export KUBECONFIG; KUBECONFIG="$(mktemp)"
az aks get-credentials --resource-group "$rg" --name "$AKSNAME" --file "$KUBECONFIG" --overwrite-existing
if [ "${AKSENTRAAUTH:-true}" = "true" ]; then kubelogin convert-kubeconfig -l azurecli; fi
TRAINING_NAMESPACE="${TRAININGNAMESPACE:?}" TRAINING_SERVICE_ACCOUNT="${TRAININGSERVICEACCOUNT:?}" TRAINING_CLIENT_ID="${TRAININGIDENTITYCLIENTID:?}" \
  bash scripts/ci/kubectl-apply.sh bicep/k8s/training-identity.yaml k8s-training/network-policy.yaml
rm -f "$KUBECONFIG"

echo "release: dashboard ${STATICWEBAPPNAME:?}"
token=$(az staticwebapp secrets list --resource-group "$rg" --name "$STATICWEBAPPNAME" --query properties.apiKey -o tsv)
SWA_CLI_DEPLOYMENT_TOKEN="$token" npx --yes @azure/static-web-apps-cli@2.0.10 deploy out/static-web --env production

# The full smoke test as the smoke service principal; with a person's sign-in, the steps that sign-in can
# run and a list of what was not checked (scripts/ci/azd-smoke.sh).
bash scripts/ci/azd-smoke.sh
