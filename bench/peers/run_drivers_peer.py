#!/usr/bin/env python3
"""Peers that take drivers (issue 12), on the same splits and output format as run_peer.py.

    python run_drivers_peer.py --model {prophet_x,lightgbm,mstl,autoets} --input sales.csv[.gz] \
        [--drivers a.csv[.gz] --drivers b.csv] --cutoff YYYY-MM-DD --horizon N --output out.csv [--jobs 2]

What each peer is given (rows after the cutoff are dropped from the sales right after reading; drivers
are known in advance, so they are read for the history and the horizon, exactly like Foreact's CLI):
  * prophet_x: Prophet (as run_peer.py's prophet: yearly + weekly, multiplicative when <= 1 % zero days,
    else additive) with every driver as an extra regressor: numeric columns as they are (missing = 0),
    each event/holiday label seen at least twice before the cutoff as a 0/1 column, `open` as a 0/1 column.
  * lightgbm: one global LightGBM model per data set across all series (the M5 winner's approach), Tweedie
    loss, features: store and item (categorical), weekday, day of month, month, day of year, sales lags of
    at least the horizon (h, h+7, h+14, h+28, h+364), means of the 7 and 28 days ending h days ago, the
    drivers (numeric as they are, text as categorical codes, open). p10/p90 from two quantile models with
    the same features.
  * mstl: statsforecast MSTL(season_length=[7, 365]) (weekly only when the series is shorter than two
    years), its default AutoETS trend; no drivers (statsforecast's MSTL has no regressors).
  * autoets: statsforecast AutoETS(season_length=7); no drivers.
Missing days inside a series are 0 (as run_peer.py); leading zeros before the first sale are dropped.
One JSON line goes to stdout, like run_peer.py.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
import multiprocessing as mp

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_peer  # noqa: E402  (load_series, TreeRss, _silence, snaive_fallback)

LEVEL = 80
_CFG: dict = {}


def read_drivers(paths):
    """Joined drivers: one frame with date, store, item ('' = every) and the driver columns."""
    frames = []
    for p in paths:
        d = pd.read_csv(p, dtype=str, keep_default_na=False)
        d.columns = [c.strip() for c in d.columns]
        for key in ("store", "item"):
            if key not in d.columns:
                d[key] = ""
        frames.append(d)
    return frames


def driver_features(frames, keys, dates):
    """Dense features for every (series, date): numeric columns as floats, text columns as label codes.
    Returns (numeric: dict name -> array[len(keys), len(dates)], text: dict name -> (codes array, labels))."""
    index = {d: i for i, d in enumerate(dates)}
    key_index = {k: i for i, k in enumerate(keys)}
    stores = {}
    items = {}
    for i, (s, it) in enumerate(keys):
        stores.setdefault(s, []).append(i)
        items.setdefault(it, []).append(i)
    numeric, text = {}, {}
    for f in frames:
        cols = [c for c in f.columns if c not in ("date", "store", "item")]
        di = f["date"].map(index)
        ok = di.notna().to_numpy()
        f = f[ok]
        di = di[ok].astype(int).to_numpy()
        # Rows apply to every store / item when those cells are empty; the specific rows come last.
        order = np.argsort((f["store"] != "").to_numpy().astype(int) + (f["item"] != "").to_numpy().astype(int), kind="stable")
        f, di = f.iloc[order], di[order]
        targets = []
        for s, it in zip(f["store"].to_numpy(), f["item"].to_numpy()):
            if s and it:
                k = key_index.get((s, it))
                targets.append([k] if k is not None else [])
            elif s:
                targets.append(stores.get(s, []))
            elif it:
                targets.append(items.get(it, []))
            else:
                targets.append(range(len(keys)))
        for c in cols:
            vals = f[c].to_numpy()
            as_num = pd.to_numeric(pd.Series(vals), errors="coerce")
            is_num = c.lower() == "open" or as_num.notna().sum() >= 0.9 * max(1, (vals != "").sum())
            if is_num:
                arr = numeric.setdefault(c, np.full((len(keys), len(dates)), np.nan))
                for t, d, v in zip(targets, di, as_num.to_numpy()):
                    if np.isfinite(v):
                        arr[list(t), d] = v
            else:
                codes, labels = text.setdefault(c, (np.full((len(keys), len(dates)), -1, dtype=np.int32), {}))
                for t, d, v in zip(targets, di, vals):
                    if v:
                        code = labels.setdefault(v, len(labels))
                        codes[list(t), d] = code
    return numeric, text


# ------------------------------------------------------------------------------------------ prophet

def fit_prophet_x(task):
    idx, start, y, regs = task
    h = _CFG["horizon"]
    if len(y) == 0:
        z = np.zeros(h)
        return idx, z, z, z, "no_history"
    try:
        from prophet import Prophet
        mode = "multiplicative" if float(np.mean(y == 0)) <= 0.01 else "additive"
        np.random.seed(0)
        m = Prophet(interval_width=LEVEL / 100, yearly_seasonality=True, weekly_seasonality=True,
                    daily_seasonality=False, seasonality_mode=mode)
        n = len(y)
        ds = pd.date_range(pd.Timestamp(start), periods=n + h, freq="D")
        hist = pd.DataFrame({"ds": ds[:n], "y": y})
        fut = pd.DataFrame({"ds": ds[n:]})
        for name, values in regs.items():
            past = values[:n]
            if np.nanstd(past) == 0:
                continue  # Prophet refuses a constant regressor
            m.add_regressor(name, mode="multiplicative" if mode == "multiplicative" and name != "open" else "additive")
            hist[name] = past
            fut[name] = values[n:]
        m.fit(hist)
        p = m.predict(fut)
        f, lo, hi = run_peer._check(p["yhat"], p["yhat_lower"], p["yhat_upper"], h)
        status = "ok"
    except Exception as e:  # noqa: BLE001
        if _CFG.get("verbose"):
            print(f"series {idx}: {type(e).__name__}: {e}", file=sys.stderr)
        f, lo, hi = run_peer.snaive_fallback(y, h)
        status = "failure"
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    return idx, np.maximum(f, 0), np.maximum(lo, 0), np.maximum(hi, 0), status


def fit_sf(task):
    idx, start, y, _ = task
    h = _CFG["horizon"]
    if len(y) == 0:
        z = np.zeros(h)
        return idx, z, z, z, "no_history"
    try:
        from statsforecast.models import MSTL, AutoETS
        if _CFG["model"] == "mstl":
            seasons = [7, 365] if len(y) > 2 * 365 + 7 else [7]
            r = MSTL(season_length=seasons).forecast(y=y, h=h, level=[LEVEL])
        else:
            r = AutoETS(season_length=7).forecast(y=y, h=h, level=[LEVEL])
        f, lo, hi = run_peer._check(r["mean"], r[f"lo-{LEVEL}"], r[f"hi-{LEVEL}"], h)
        status = "ok"
    except Exception as e:  # noqa: BLE001
        if _CFG.get("verbose"):
            print(f"series {idx}: {type(e).__name__}: {e}", file=sys.stderr)
        f, lo, hi = run_peer.snaive_fallback(y, h)
        status = "failure"
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    return idx, np.maximum(f, 0), np.maximum(lo, 0), np.maximum(hi, 0), status


def chunk(tasks):
    fn = fit_prophet_x if _CFG["model"] == "prophet_x" else fit_sf
    return [fn(t) for t in tasks]


def _init(cfg, barrier):
    run_peer._silence()
    _CFG.update(cfg)
    barrier.wait()


# ----------------------------------------------------------------------------------------- lightgbm

def run_lightgbm(keys, starts, ys, numeric, text, first, n_days, cutoff_i, h, jobs):
    import lightgbm as lgb

    n = len(keys)
    sales = np.full((n, n_days), np.nan)
    for i, (s0, y) in enumerate(zip(starts, ys)):
        if len(y):
            o = int((s0 - first).astype(int))
            sales[i, o:o + len(y)] = y
    dates = first + np.arange(n_days)
    dts = pd.DatetimeIndex(dates.astype("datetime64[ns]"))

    def shifted(arr, lag):
        out = np.full_like(arr, np.nan)
        out[:, lag:] = arr[:, :-lag]
        return out

    def rolling_mean(arr, width, lag):
        a = np.nan_to_num(shifted(arr, lag))
        c = np.cumsum(np.pad(a, ((0, 0), (1, 0))), axis=1)
        cnt = np.cumsum(np.pad((~np.isnan(shifted(arr, lag))).astype(float), ((0, 0), (1, 0))), axis=1)
        s = c[:, width:] - c[:, :-width]
        k = cnt[:, width:] - cnt[:, :-width]
        out = np.full_like(arr, np.nan)
        out[:, width - 1:] = np.where(k > 0, s / np.maximum(k, 1), np.nan)
        return out

    feats = {
        "store": np.repeat(pd.factorize([k[0] for k in keys])[0][:, None], n_days, axis=1),
        "item": np.repeat(np.arange(n)[:, None], n_days, axis=1),
        "weekday": np.broadcast_to(dts.dayofweek.to_numpy(), (n, n_days)),
        "dom": np.broadcast_to(dts.day.to_numpy(), (n, n_days)),
        "month": np.broadcast_to(dts.month.to_numpy(), (n, n_days)),
        "doy": np.broadcast_to(dts.dayofyear.to_numpy(), (n, n_days)),
    }
    for lag in (h, h + 7, h + 14, h + 28, max(h, 364)):
        feats[f"lag{lag}"] = shifted(sales, lag)
    feats["mean7"] = rolling_mean(sales, 7, h)
    feats["mean28"] = rolling_mean(sales, 28, h)
    for name, arr in numeric.items():
        feats[f"x_{name}"] = arr
    for name, (codes, _) in text.items():
        # LightGBM reads negative categories as missing (with a warning): "no event" is its own category 0.
        feats[f"c_{name}"] = codes + 1
    cat = ["store", "item"] + [f"c_{name}" for name in text]
    names = list(feats)
    train_mask = ~np.isnan(sales)
    train_mask[:, cutoff_i + 1:] = False
    train_mask[:, :h] = False
    rows = np.nonzero(train_mask)
    X = np.column_stack([np.asarray(feats[c])[rows].astype(float) for c in names])
    y = sales[rows]
    test_cols = np.arange(cutoff_i + 1, cutoff_i + 1 + h)
    Xt = np.column_stack([np.asarray(feats[c])[:, test_cols].reshape(-1).astype(float) for c in names])
    params = dict(learning_rate=0.05, num_leaves=63, min_data_in_leaf=50, feature_fraction=0.8,
                  bagging_fraction=0.8, bagging_freq=1, lambda_l2=1.0, num_threads=jobs, verbose=-1, seed=0)
    ds = lgb.Dataset(X, y, feature_name=names, categorical_feature=cat, free_raw_data=False)
    mean_model = lgb.train({**params, "objective": "tweedie", "tweedie_variance_power": 1.1}, ds, num_boost_round=600)
    f = mean_model.predict(Xt)
    lo = lgb.train({**params, "objective": "quantile", "alpha": 0.1}, ds, num_boost_round=300).predict(Xt)
    hi = lgb.train({**params, "objective": "quantile", "alpha": 0.9}, ds, num_boost_round=300).predict(Xt)
    f, lo, hi = (np.maximum(a.reshape(n, h), 0) for a in (f, lo, hi))
    return np.minimum(lo, f), f, np.maximum(hi, f)


# ------------------------------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, choices=("prophet_x", "lightgbm", "mstl", "autoets"))
    ap.add_argument("--input", required=True)
    ap.add_argument("--drivers", action="append", default=[])
    ap.add_argument("--cutoff", required=True)
    ap.add_argument("--horizon", required=True, type=int)
    ap.add_argument("--output", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    run_peer._silence()
    cutoff = np.datetime64(a.cutoff, "D")
    h = a.horizon
    t0 = time.perf_counter()
    keys, starts, ys = run_peer.load_series(a.input, cutoff, None, False)
    first = min((s for s, y in zip(starts, ys) if len(y)), default=cutoff)
    first = first - max(h, 364) if a.model == "lightgbm" else first
    n_days = int((cutoff - first).astype(int)) + 1 + h
    all_dates = (first + np.arange(n_days)).astype(str)
    numeric, text = driver_features(read_drivers(a.drivers), keys, list(all_dates)) if a.drivers else ({}, {})
    load_s = time.perf_counter() - t0
    cutoff_i = int((cutoff - first).astype(int))
    statuses = []
    with run_peer.TreeRss() as tree:
        t1 = time.perf_counter()
        if a.model == "lightgbm":
            lo, f, hi = run_lightgbm(keys, starts, ys, numeric, text, first, n_days, cutoff_i, h, a.jobs)
            statuses = ["ok"] * len(keys)
        else:
            tasks = []
            for i, (s0, y) in enumerate(zip(starts, ys)):
                regs = {}
                if a.model == "prophet_x" and len(y):
                    o = int((s0 - first).astype(int))
                    span = slice(o, o + len(y) + h)
                    for name, arr in numeric.items():
                        regs[f"x_{name}"] = np.nan_to_num(arr[i, span], nan=1.0 if name.lower() == "open" else 0.0)
                    for name, (codes, labels) in text.items():
                        past = codes[i, o:o + len(y)]
                        for label, code in labels.items():
                            if (past == code).sum() >= 2:
                                regs[f"e_{name}_{code}"] = (codes[i, span] == code).astype(float)
                tasks.append((i, s0, y, regs))
            tasks.sort(key=lambda t: -len(t[2]))
            cfg = dict(model=a.model, horizon=h, verbose=a.verbose)
            _CFG.update(cfg)
            per = 1 if a.model == "prophet_x" else max(1, len(tasks) // (a.jobs * 8))
            chunks = [tasks[i:i + per] for i in range(0, len(tasks), per)]
            results = [None] * len(keys)
            ctx = mp.get_context("spawn")
            barrier = ctx.Barrier(a.jobs + 1)
            pool = ctx.Pool(a.jobs, initializer=_init, initargs=(cfg, barrier))
            try:
                barrier.wait()
                t1 = time.perf_counter()
                for rs in pool.imap_unordered(chunk, chunks):
                    for r in rs:
                        results[r[0]] = r
            finally:
                pool.close()
                pool.join()
            f = np.stack([r[1] for r in results])
            lo = np.stack([r[2] for r in results])
            hi = np.stack([r[3] for r in results])
            statuses = [r[4] for r in results]
        fit_s = time.perf_counter() - t1
    fdates = (cutoff + 1 + np.arange(h)).astype(str)
    n = len(keys)
    out = pd.DataFrame({
        "date": np.tile(fdates, n),
        "store": np.repeat([k[0] for k in keys], h),
        "item": np.repeat([k[1] for k in keys], h),
        "forecast": f.reshape(-1), "p10": lo.reshape(-1), "p90": hi.reshape(-1),
    })
    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    out.to_csv(a.output, index=False, float_format="%.4f")
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "model": a.model, "series": n, "drivers": [os.path.basename(p) for p in a.drivers],
        "fit_forecast_seconds": round(fit_s, 3), "load_seconds": round(load_s, 3),
        "peak_rss_mb": round(max(self_mb, tree.peak_kb / 1024), 1),
        "failures": statuses.count("failure"), "no_history": statuses.count("no_history"),
        "jobs": a.jobs, "input": os.path.basename(a.input), "cutoff": a.cutoff, "horizon": h,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
