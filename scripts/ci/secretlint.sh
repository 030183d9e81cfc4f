#!/usr/bin/env bash
# Secrets check (secretlint, recommended rules, .secretlintrc.json) over every file git tracks: nothing
# built, installed or ignored is scanned. Run by .ci/run before npm test; fails on any finding.
set -euo pipefail
cd "$(dirname "$0")/../.."
git ls-files -z | xargs -0 npx --no-install secretlint --maskSecrets
