#!/usr/bin/env bash
# Builds the training image from `npm run package`'s context (out/training-image) FROM a base image
# pinned by digest, and optionally saves it as a tarball. The deploy workflow and the azd hook both
# build with this script, so neither can build on a moving tag.
#
#   bash scripts/ci/build-training-image.sh <context dir> <image:tag> [<tarball to save>]
#
# The base is TRAINER_BASE_IMAGE when set (e.g. node:22-bookworm-slim@sha256:<digest>, a GitHub
# variable or azd env value); otherwise TRAINER_BASE_TAG (node:22-bookworm-slim) is resolved ONCE, here,
# to the digest it names right now, and every later step uses that digest. Either way the build is
# refused unless the base is <name>@sha256:<64 hex digits>. The pinned base goes next to the tarball
# (<tarball>.base) and into the image's org.opencontainers.image.base.name label.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: build-training-image.sh <context dir> <image:tag> [<tarball to save>]" >&2
  exit 2
fi
context="$1"; image="$2"; tarball="${3:-}"
BASE_TAG="${TRAINER_BASE_TAG:-node:22-bookworm-slim}"

base="${TRAINER_BASE_IMAGE:-}"
if [ -z "$base" ]; then
  docker pull --quiet "$BASE_TAG" >/dev/null
  base="$(docker image inspect --format '{{index .RepoDigests 0}}' "$BASE_TAG")"
  echo "build-training-image: $BASE_TAG is $base now; building on that digest"
fi
if ! [[ "$base" =~ ^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$ ]]; then
  echo "build-training-image: base image '$base' is not pinned by digest (<name>@sha256:<64 hex>); refusing to build" >&2
  exit 1
fi

docker build "$context" --build-arg "NODE_IMAGE=$base" \
  --label "org.opencontainers.image.base.name=$base" -t "$image"
if [ -n "$tarball" ]; then
  docker save "$image" | gzip > "$tarball"
  printf '%s\n' "$base" > "$tarball.base"
fi
