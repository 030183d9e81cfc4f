#!/usr/bin/env bash
# The release layout, in one place. The deploy workflow's build job runs this after `npm run package`
# and uploads the release directory as the `release` artifact (its root IS this layout); each stage
# (deploy-stage.yml) downloads it to ./release and reads the paths below. tests/scripts/release-layout.test.ts
# assembles a release with this script and checks every release/... path deploy-stage.yml reads.
#
#   bash scripts/ci/assemble-release.sh <package out dir> <training image tarball> <release dir>
#
# <release dir>/
#   functionapp.zip          the Function App package (npm run package)
#   static-web/              the built dashboard
#   training-image.tar.gz    `docker save` of the training image built from <out>/training-image
#   training-image.base      the digest-pinned base image it was built FROM
#   manifest.json            the package manifest (zip sha256, modules)
#   infra/bicep/             the Bicep of this commit (main.bicep, modules/, params/, k8s/, alerts/)
#   infra/k8s-training/      job.yaml and network-policy.yaml
#   infra/scripts/ci/        the deploy gate, kubectl-apply.sh and their helpers
#   infra/scripts/smoke/     smoke.sh
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: assemble-release.sh <package out dir> <training image tarball> <release dir>" >&2
  exit 2
fi
out="$1"; image="$2"; release="$3"
root="$(cd "$(dirname "$0")/../.." && pwd)"

for needed in "$out/functionapp.zip" "$out/static-web/index.html" "$out/manifest.json" "$image"; do
  [ -e "$needed" ] || { echo "assemble-release: $needed is missing (run npm run package, then build and save the training image)" >&2; exit 1; }
done

rm -rf "$release"
mkdir -p "$release/infra/k8s-training" "$release/infra/scripts"
cp "$out/functionapp.zip" "$out/manifest.json" "$release/"
cp -r "$out/static-web" "$release/static-web"
cp "$image" "$release/training-image.tar.gz"
if [ -f "$image.base" ]; then cp "$image.base" "$release/training-image.base"; fi
cp -r "$root/bicep" "$release/infra/bicep"
cp "$root/k8s-training/job.yaml" "$root/k8s-training/network-policy.yaml" "$release/infra/k8s-training/"
# Only the shell the stages run: no TypeScript sources, nothing that needs node_modules.
cp -r "$root/scripts/ci" "$root/scripts/smoke" "$release/infra/scripts/"
echo "assemble-release: $release ($(find "$release" -type f | wc -l) files)"
