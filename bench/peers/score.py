#!/usr/bin/env python3
"""Scores a forecasts file against actuals, to cross-check the TypeScript scorer (bench/score.ts).

    python3 score.py --actuals <csv[.gz]> --forecasts <csv[.gz]> --cutoff YYYY-MM-DD --horizon N

--actuals: the long data file `date,store,item,sales` (the whole file is fine: history <= cutoff is
the RMSSE scale, cutoff+1 .. cutoff+horizon is the test window). --forecasts:
`date,store,item,forecast[,p10,p90]`. Store and item are compared as strings. Standard library only,
so the cross-check test runs wherever python3 does.

Definitions, the same as bench/score.ts (design.md section 4). The expected points are the actuals'
rows (series, date) inside the test window; where a file repeats a (series, date), its last row wins.
  * missing = expected points without a forecast row. They are left out of every figure below and
    printed, so that two models are only compared on the same points when both show missing 0.
  * SMAPE = mean over the scored points of 200*|F-A|/(|F|+|A|), 0 when both are 0.
  * WAPE = 100 * sum |F-A| / sum A over the scored points.
  * RMSSE per series = sqrt(mean over its scored points of (F-A)^2 / scale), scale = mean of
    (y_t - y_{t-1})^2 over the series' history rows (date order, dates <= cutoff) from its first
    positive sale. Averaged over series (plain mean). Series whose scale is 0 or undefined (no
    history, no sale before the cutoff, or fewer than 2 rows from the first sale) are left out and
    counted as `rmsse_skipped`.
  * coverage = share of ALL scored points with p10 <= A <= p90 (the nominal value is 0.8). A point
    whose p10 = p90 = A is covered; any other point with p10 = p90, or without a finite p10 and p90,
    is not. null when the forecasts file has no p10/p90 columns.
Also MAE and bias (mean F - A) over the scored points. One JSON line to stdout.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
import json
import math
import sys

EPOCH = dt.date(1970, 1, 1)


def rows(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return csv.DictReader(io.StringIO(raw.decode("utf-8")))


def day(text):
    return (dt.date.fromisoformat(text.strip()) - EPOCH).days


def num(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def score(actuals, forecasts, cutoff, horizon):
    cut = day(cutoff)
    history = {}  # key -> {day: value}
    actual = {}   # key -> {day: value}, test window
    for r in rows(actuals):
        key = (r["store"], r["item"])
        d = day(r["date"])
        if d <= cut:
            history.setdefault(key, {})[d] = num(r["sales"])
        elif d <= cut + horizon:
            actual.setdefault(key, {})[d] = num(r["sales"])

    forecast = {}  # key -> {day: (forecast, p10, p90)}
    reader = rows(forecasts)
    has_band = "p10" in (reader.fieldnames or []) and "p90" in (reader.fieldnames or [])
    for r in reader:
        d = day(r["date"])
        if cut < d <= cut + horizon:
            band = (num(r["p10"]), num(r["p90"])) if has_band else (math.nan, math.nan)
            forecast.setdefault((r["store"], r["item"]), {})[d] = (num(r["forecast"]), *band)

    expected = missing = points = covered = 0
    smape = abs_err = err = actual_sum = width = 0.0
    rmsse = []
    skipped = 0
    for key, window in actual.items():
        f = forecast.get(key, {})
        sse, n = 0.0, 0
        for d, a in window.items():
            expected += 1
            if d not in f:
                missing += 1
                continue
            v, lo, hi = f[d]
            denom = abs(v) + abs(a)
            smape += 0.0 if denom == 0 else 200 * abs(v - a) / denom
            abs_err += abs(v - a)
            err += v - a
            actual_sum += a
            sse += (v - a) ** 2
            n += 1
            points += 1
            if math.isfinite(lo) and math.isfinite(hi) and lo <= a <= hi:
                covered += 1
            width += hi - lo
        if n == 0:
            continue
        h = history.get(key, {})
        ys = [h[d] for d in sorted(h)]
        first = next((i for i, y in enumerate(ys) if y > 0), len(ys))
        diffs = [(b - a) ** 2 for a, b in zip(ys[first:], ys[first + 1:]) if not (math.isnan(a) or math.isnan(b))]
        scale = sum(diffs) / len(diffs) if diffs else math.nan
        if math.isfinite(scale) and scale > 0:
            rmsse.append(math.sqrt(sse / n / scale))
        else:
            skipped += 1

    if points == 0:
        sys.exit("no forecast for any expected point of the test window")
    r4 = lambda x: round(x, 4) if math.isfinite(x) else None  # noqa: E731
    out = {
        "forecasts": forecasts.rsplit("/", 1)[-1],
        "series": len(actual),
        "expected": expected,
        "points": points,
        "missing": missing,
        "smape": r4(smape / points),
        "rmsse": r4(sum(rmsse) / len(rmsse)) if rmsse else None,
        "rmsse_series": len(rmsse),
        "rmsse_skipped": skipped,
        "wape": r4(100 * abs_err / actual_sum) if actual_sum > 0 else None,
        "mae": r4(abs_err / points),
        "bias": r4(err / points),
        "coverage": r4(covered / points) if has_band else None,
    }
    if has_band:
        out["mean_interval_width"] = r4(width / points)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--actuals", required=True)
    ap.add_argument("--forecasts", required=True)
    ap.add_argument("--cutoff", required=True)
    ap.add_argument("--horizon", required=True, type=int)
    a = ap.parse_args(argv)
    print(json.dumps(score(a.actuals, a.forecasts, a.cutoff, a.horizon)))


if __name__ == "__main__":
    main()
