#!/usr/bin/env python3
"""Scores a forecasts file against actuals, to cross-check the TypeScript scorer.

    python score.py --actuals <csv[.gz]> --forecasts <csv[.gz]> --cutoff YYYY-MM-DD --horizon N

--actuals: the long data file `date,store,item,sales` (the whole file is fine: history <= cutoff is
the RMSSE scale, cutoff+1 .. cutoff+horizon is the test window). --forecasts:
`date,store,item,forecast[,p10,p90]`. Store and item are compared as strings.

Definitions (design.md section 4), over the series present in the forecasts file, test dates
cutoff+1 .. cutoff+horizon; a day without a row in the actuals counts as 0 sales (as in run_peer.py):
  * SMAPE = mean over all points of 200*|F-A|/(|F|+|A|), 0 when both are 0.
  * RMSSE per series = sqrt(mean over the horizon of (F-A)^2 / mean of (y_t - y_{t-1})^2 over the
    series' history up to the cutoff, from its first non-zero sale). Averaged over series (plain
    mean). Series whose scale is 0 or undefined (no sale before the cutoff, or fewer than 2 days
    from the first sale) are left out and counted as `rmsse_skipped`.
  * coverage = share of points with p10 <= A <= p90 (the nominal value is 0.8).
Also MAE and bias (mean F - A) over all points. A forecast row missing for a (series, test date) is
an error. One JSON line to stdout.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import pandas as pd


def read(path):
    return pd.read_csv(path, dtype={"date": str, "store": str, "item": str},
                       keep_default_na=False)


def days(col):
    return pd.to_datetime(col, format="%Y-%m-%d").to_numpy().astype("datetime64[D]").astype(np.int64)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--actuals", required=True)
    ap.add_argument("--forecasts", required=True)
    ap.add_argument("--cutoff", required=True)
    ap.add_argument("--horizon", required=True, type=int)
    a = ap.parse_args(argv)
    cutoff = int(np.datetime64(a.cutoff, "D").astype(int))  # days since 1970-01-01
    h = a.horizon

    fc = read(a.forecasts)
    fc["d"] = days(fc["date"])
    fc = fc[(fc["d"] > cutoff) & (fc["d"] <= cutoff + h)]
    keys = list(dict.fromkeys(zip(fc["store"], fc["item"])))
    kidx = {k: i for i, k in enumerate(keys)}
    n = len(keys)
    if n == 0:
        sys.exit("no forecasts inside the test window")

    def grid(df, col, fill):
        """(series x test day) matrix of df[col]; duplicate rows are summed for actuals (fill=0)
        and the last one wins for forecasts (fill=nan, so that a missing one shows)."""
        g = np.full((n, h), fill, dtype=float)
        si = np.array([kidx.get(k, -1) for k in zip(df["store"], df["item"])], dtype=int)
        di = df["d"].to_numpy() - (cutoff + 1)
        ok = si >= 0
        vals = df[col].to_numpy(dtype=float)[ok]
        if fill == 0:
            np.add.at(g, (si[ok], di[ok]), vals)
        else:
            g[si[ok], di[ok]] = vals
        return g

    F = grid(fc, "forecast", np.nan)
    if np.isnan(F).any():
        sys.exit(f"{int(np.isnan(F).sum())} (series, test date) forecasts missing")
    has_pi = "p10" in fc.columns and "p90" in fc.columns
    if has_pi:
        LO, HI = grid(fc, "p10", np.nan), grid(fc, "p90", np.nan)

    act = read(a.actuals)
    act["d"] = days(act["date"])
    act["sales"] = pd.to_numeric(act["sales"], errors="coerce").fillna(0.0)
    test = act[(act["d"] > cutoff) & (act["d"] <= cutoff + h)]
    A = grid(test, "sales", 0)  # missing day = 0 sales
    missing_test_rows = n * h - int(sum(1 for k in zip(test["store"], test["item"]) if k in kidx))

    # RMSSE scale from the history <= cutoff.
    hist = act[act["d"] <= cutoff]
    hist = hist[[k in kidx for k in zip(hist["store"], hist["item"])]]
    scale = np.full(n, np.nan)
    for (s, i), g in hist.groupby(["store", "item"], sort=False):
        d = g["d"].to_numpy()
        first = d.min()
        y = np.zeros(cutoff - first + 1)
        np.add.at(y, d - first, g["sales"].to_numpy(dtype=float))
        nz = np.flatnonzero(y)
        if len(nz) == 0:
            continue
        y = y[nz[0]:]
        if len(y) < 2:
            continue
        scale[kidx[(s, i)]] = np.mean(np.diff(y) ** 2)

    denom = np.abs(F) + np.abs(A)
    sm = np.where(denom == 0, 0.0, 200 * np.abs(F - A) / np.where(denom == 0, 1, denom))
    mse = np.mean((F - A) ** 2, axis=1)
    ok = np.isfinite(scale) & (scale > 0)
    rmsse = np.sqrt(mse[ok] / scale[ok])
    out = {
        "forecasts": a.forecasts.rsplit("/", 1)[-1],
        "series": n,
        "points": n * h,
        "smape": round(float(sm.mean()), 4),
        "rmsse": round(float(rmsse.mean()), 4),
        "rmsse_series": int(ok.sum()),
        "rmsse_skipped": int((~ok).sum()),
        "mae": round(float(np.abs(F - A).mean()), 4),
        "bias": round(float((F - A).mean()), 4),
        "missing_actual_points": missing_test_rows,
    }
    if has_pi:
        out["coverage_p10_p90"] = round(float(((A >= LO) & (A <= HI)).mean()), 4)
        out["mean_interval_width"] = round(float((HI - LO).mean()), 4)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
