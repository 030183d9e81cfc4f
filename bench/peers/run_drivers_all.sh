#!/usr/bin/env bash
# Runs the driver-aware peers (run_drivers_peer.py) once on the three shared splits, one after the other,
# and caches their forecasts under bench/out/peers/cache/ (git-ignored), keyed by data set, cut-off, horizon
# and model: a forecast already there is not redone (delete it to rerun). Appends one JSON line per run to bench/out/peers/drivers-log.jsonl.
#   bench/peers/run_drivers_all.sh [model ...]      (default: lightgbm mstl autoets prophet_x)
#   DATASETS=pasta-promo bench/peers/run_drivers_all.sh lightgbm
#   CUTOFF=2018-03-31 DATASETS=pasta-promo bench/peers/run_drivers_all.sh lightgbm autoets   (another split)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
data="${FOREACT_DATA:-$repo/../shared/data}"
# PEERS_OUT / PEERS_VENV_PYTHON: another output folder / an interpreter instead of bench/.venv (the tests' stand-in).
out="${PEERS_OUT:-$repo/bench/out/peers}"
mkdir -p "$out"
py="${PEERS_VENV_PYTHON:-$("$here/setup.sh")}"
models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(lightgbm mstl autoets prophet_x)

run() {  # name model cutoff horizon input [drivers...]
  local name=$1 model=$2 cutoff=$3 horizon=$4 input=$5
  shift 5
  # CUTOFF=YYYY-MM-DD: another split of the same data (read by engine-bench as name@cutoff), e.g. one nothing was tuned on.
  if [[ -n "${CUTOFF:-}" ]]; then cutoff=$CUTOFF; name="$name@$CUTOFF"; fi
  # The cache is keyed by data set, cut-off and horizon: a forecast made for another split or horizon is
  # never reused. engine-bench reads the latest one for its data name at ${name}_${model}.csv.
  local key="${name%@*}_c${cutoff}_h${horizon}_${model}"
  local f="$out/cache/$key.csv" current="$out/${name}_${model}.csv"
  mkdir -p "$out/cache"
  if [[ -s "$f" ]]; then echo "== $name $model: cached ($f)" >&2; cp "$f" "$current"; return; fi
  local args=()
  for d in "$@"; do args+=(--drivers "$d"); done
  echo "== $name $model" >&2
  local t0 t1 line
  t0=$(date +%s.%N)
  line=$(/usr/bin/time -f 'PEAK_KB=%M' -o "$out/cache/$key.time" "$py" "$here/run_drivers_peer.py" --model "$model" --input "$input" \
    --cutoff "$cutoff" --horizon "$horizon" --output "$f.tmp" --jobs 2 "${args[@]}" | tail -n 1)
  t1=$(date +%s.%N)
  mv "$f.tmp" "$f"
  cp "$f" "$current"
  echo "{\"data\": \"$name\", \"cutoff\": \"$cutoff\", \"horizon\": $horizon, \"wall_seconds\": $(python3 -c "print(round($t1 - $t0, 1))"), \"run\": $line}" | tee -a "$out/drivers-log.jsonl"
}

for ds in ${DATASETS:-pasta-promo m5-tx3-foods3 store-item}; do
  for m in "${models[@]}"; do
    case $ds in
      pasta-promo) run pasta-promo "$m" 2018-06-30 92 "$data/pasta-promo/sales.csv.gz" "$data/pasta-promo/promotions.csv.gz" "$data/pasta-promo/calendar.csv" ;;
      m5-tx3-foods3) run m5-tx3-foods3 "$m" 2016-03-03 28 "$data/m5-tx3-foods3/sales.csv.gz" "$data/m5-tx3-foods3/drivers.csv" ;;
      store-item) run store-item "$m" 2017-03-31 90 "$data/store-item/train.csv" ;;
      *) echo "unknown data set $ds" >&2; exit 2 ;;
    esac
  done
done
