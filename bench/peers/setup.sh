#!/usr/bin/env bash
# Creates bench/.venv (git-ignored) with the pinned peer libraries (prophet, statsforecast, pandas,
# numpy) and checks that Prophet really fits with cmdstanpy's model bundled in the prophet wheel
# (no cmdstan download: the machine reaches PyPI only).
#
# Idempotent: when the venv already matches requirements.lock and imports fine it does nothing and
# takes about a second. Progress goes to stderr; stdout gets one line, the venv's python, so that
#   PY=$(bench/peers/setup.sh)
# works. Set PEERS_PYTHON to choose the interpreter that creates the venv (default: python3.11 if
# present, else python3; 3.10-3.12 are fine).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$(cd "$here/.." && pwd)/.venv"
lock="$here/requirements.lock"
stamp="$venv/.peers-stamp"
py="$venv/bin/python"

base="${PEERS_PYTHON:-}"
if [[ -z "$base" ]]; then
  if command -v python3.11 >/dev/null 2>&1; then base=python3.11; else base=python3; fi
fi

want="$(cat "$lock" "$0" | sha256sum | cut -d' ' -f1) $("$base" -c 'import sys; print(sys.version.split()[0])')"

if [[ -x "$py" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
   && "$py" -c 'import prophet, statsforecast, pandas, numpy, lightgbm' >/dev/null 2>&1; then
  echo "peers venv up to date: $venv" >&2
  echo "$py"
  exit 0
fi

echo "setting up peers venv in $venv (python: $(command -v "$base"))" >&2
if [[ ! -x "$py" ]]; then
  "$base" -m venv "$venv"
fi
"$py" -m pip install --quiet --disable-pip-version-check --upgrade "pip>=23" >&2
"$py" -m pip install --quiet --disable-pip-version-check -r "$lock" >&2

# A real fit, not just an import: Prophet (multiplicative, like the benchmark) and statsforecast.
"$py" - >&2 <<'EOF'
import logging, warnings
warnings.filterwarnings("ignore")
import numpy as np, pandas as pd
from prophet import Prophet
logging.getLogger("cmdstanpy").disabled = True
t = np.arange(800)
y = 20 + 5 * np.sin(2 * np.pi * t / 7) + np.random.default_rng(0).normal(0, 1, t.size)
m = Prophet(interval_width=0.8, yearly_seasonality=True, weekly_seasonality=True,
            daily_seasonality=False, seasonality_mode="multiplicative")
m.fit(pd.DataFrame({"ds": pd.date_range("2020-01-01", periods=t.size), "y": y}))
p = m.predict(m.make_future_dataframe(14, include_history=False))
assert np.isfinite(p["yhat"]).all() and abs(p["yhat"].mean() - 20) < 3, p["yhat"].describe()
from statsforecast.models import AutoETS
r = AutoETS(season_length=7).forecast(y=y, h=14, level=[80])
assert np.isfinite(r["mean"]).all() and abs(r["mean"].mean() - 20) < 3
import prophet, cmdstanpy, statsforecast
print(f"ok: prophet {prophet.__version__} (cmdstanpy {cmdstanpy.__version__}), "
      f"statsforecast {statsforecast.__version__}, pandas {pd.__version__}, numpy {np.__version__}")
EOF

echo "$want" > "$stamp"
echo "$py"
