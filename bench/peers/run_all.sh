#!/usr/bin/env bash
# Runs every peer on both real splits, one after the other (never two at once: the timings are
# meant for a 2-core machine), scores each, and appends the JSON lines to bench/out/peers/log.jsonl.
#   bench/peers/run_all.sh [model ...]        (default: seasonal_naive ses autoets prophet)
#   DATASETS=store-item bench/peers/run_all.sh autoets      (default: store-item m5-tx3-foods3)
# Needs ../shared/data beside the repo. Outputs go to bench/out/peers/plain/ (git-ignored), one file per
# data set, cut-off, horizon and model.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
data="${FOREACT_DATA:-$repo/../shared/data}"
# PEERS_OUT / PEERS_VENV_PYTHON: another output folder / an interpreter instead of bench/.venv (the tests' stand-in).
out="${PEERS_OUT:-$repo/bench/out/peers}"
mkdir -p "$out"
py="${PEERS_VENV_PYTHON:-$("$here/setup.sh")}"
models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(seasonal_naive ses autoets prophet)

run() {  # name input cutoff horizon model
  local name=$1 input=$2 cutoff=$3 horizon=$4 model=$5
  # Keyed by data set, cut-off and horizon, and apart from run_drivers_all.sh's cache (whose autoets is
  # another script's forecast under the same model name).
  local f="$out/plain/${name}_c${cutoff}_h${horizon}_${model}.csv"
  mkdir -p "$out/plain"
  echo "== $name $model" >&2
  local t0 t1 line score
  t0=$(date +%s.%N)
  line=$("$py" "$here/run_peer.py" --model "$model" --input "$input" --cutoff "$cutoff" \
    --horizon "$horizon" --output "$f" --jobs 2)
  t1=$(date +%s.%N)
  score=$("$py" "$here/score.py" --actuals "$input" --forecasts "$f" --cutoff "$cutoff" \
    --horizon "$horizon")
  local wall
  wall=$(python3 -c "print(round($t1 - $t0, 1))")
  echo "{\"data\": \"$name\", \"cutoff\": \"$cutoff\", \"horizon\": $horizon, \"wall_seconds\": $wall, \"run\": $line, \"score\": $score}" \
    | tee -a "$out/log.jsonl"
}

for m in "${models[@]}"; do
  for ds in ${DATASETS:-store-item m5-tx3-foods3}; do
    case $ds in
      store-item) run store-item "$data/store-item/train.csv" 2017-03-31 90 "$m" ;;
      m5-tx3-foods3) run m5-tx3-foods3 "$data/m5-tx3-foods3/sales.csv.gz" 2016-03-03 28 "$m" ;;
      *) echo "unknown data set $ds" >&2; exit 2 ;;
    esac
  done
done
