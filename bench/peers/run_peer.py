#!/usr/bin/env python3
"""Peer forecasters (PyPI: prophet, statsforecast) for cross-checking the Foreact benchmark.

Usage (inside bench/.venv, see setup.sh):

    python run_peer.py --model {prophet,autoets,ses,seasonal_naive} \
        --input <csv or csv.gz> --cutoff YYYY-MM-DD --horizon N \
        --output <forecasts.csv> [--jobs 2] [--limit-series K]

Input: long format `date,store,item,sales`. A series is one (store, item) pair; store and item are
opaque strings and are written back exactly as read.

What the peers see, per series (all of it is decided here, not by the peer library):
  * only rows with date <= cutoff: later rows are dropped right after reading, before anything else;
  * missing days inside a series are filled with 0 (a day without a row is a day without sales),
    from the series' first row up to the cutoff itself (so that the forecast starts at cutoff + 1);
  * leading zeros before the series' first non-zero sale are dropped (item not launched yet), the
    same start the RMSSE scale uses. `--keep-leading-zeros` turns that off. A series with no sale at
    all up to the cutoff (or no row at all) gets a flat 0 forecast and is counted as `no_history`,
    not as a failure.

Models:
  * prophet: interval_width=0.8, yearly + weekly seasonality, no daily. Seasonality mode
    (`--prophet-mode auto`, the default): multiplicative when at most 1 % of the training days are
    zero, additive otherwise. Multiplicative (what design.md section 5 measured on store-item) is
    right for the smooth store-item series, but on intermittent series (M5: ~60 % zero days) a
    seasonal factor times a trend near 0 is meaningless, so those get additive.
    One Prophet fit per series in a multiprocessing Pool of --jobs workers; cmdstanpy is silenced.
  * autoets: statsforecast AutoETS(season_length=7), level=[80].
  * ses: statsforecast SimpleExponentialSmoothingOptimized with ConformalIntervals(h=horizon,
    n_windows=2) for the 80 % interval (cheap: two extra SES fits); if the series is too short for
    that, the plain point forecast with p10 = p90 = forecast.
  * seasonal_naive: statsforecast SeasonalNaive(season_length=7), level=[80].
  The statsforecast models are called per series (model.forecast(y=..., h=..., level=[80]), the very
  call StatsForecast.forecast makes for each series) inside our own Pool of --jobs workers, so that a
  failing series is caught, counted and replaced individually instead of failing the whole batch.

A series whose model raises (or returns non-finite numbers) falls back to a numpy weekly seasonal
naive (last 7 days repeated, p10 = p90 = forecast) and is counted in `failures`.
All forecasts and interval bounds are clipped at 0.

Output: `date,store,item,forecast,p10,p90` for the `horizon` days after the cutoff (p10/p90 = the
80 % interval). Written as gzip when the output name ends in .gz.

At the end one JSON line goes to stdout:
  {"model", "series", "fit_forecast_seconds", "load_seconds", "peak_rss_mb", "failures", ...}
  load_seconds = reading the CSV + filtering + building the per-series arrays;
  fit_forecast_seconds = the model stage only, from the moment every worker has started and
    imported its library (that start-up is pool_start_seconds, reported apart) to the last result;
  fit_forecast_cpu_seconds = CPU time (user + sys) spent in the model calls, summed over the
    workers and their children (cmdstan): less sensitive than wall time to other load on the machine;
  peak_rss_mb = max(peak RSS of this process over the whole run (getrusage RUSAGE_SELF, its peak
    is usually while reading the CSV), peak_rss_tree_mb), where peak_rss_tree_mb = the largest sum
    of the RSS of this process and all its descendants (pool workers, cmdstan), sampled from /proc
    every 0.2 s during the model stage, i.e. what the machine really had to hold at once.
    getrusage(RUSAGE_CHILDREN) is reported raw as peak_rss_child_mb but is NOT usable on its own:
    Linux carries a process's RSS high-water mark across fork + exec, so every child (even a
    spawned worker or cmdstan) reports at least the parent's RSS at the moment it was forked.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import resource
import sys
import threading
import time
import warnings
import multiprocessing as mp

import numpy as np
import pandas as pd

MODELS = ("prophet", "autoets", "ses", "seasonal_naive")
SEASON = 7
LEVEL = 80

# Set by main() before the pool forks; workers inherit them.
_CFG: dict = {}


def _silence() -> None:
    warnings.filterwarnings("ignore")
    for name in ("cmdstanpy", "prophet", "prophet.plot", "prophet.models"):
        lg = logging.getLogger(name)
        lg.setLevel(logging.CRITICAL)
        lg.propagate = False
        lg.handlers = [logging.NullHandler()]
    logging.getLogger("cmdstanpy").disabled = True


# ---------------------------------------------------------------------------------------- loading

def load_series(path: str, cutoff: np.datetime64, limit: int | None, keep_leading_zeros: bool):
    """Returns (keys, starts, ys): keys = [(store, item)] in order of first appearance in the file,
    starts = datetime64[D] of each y[0], ys = float64 arrays ending at the cutoff (inclusive)."""
    df = pd.read_csv(path, dtype={"date": str, "store": str, "item": str, "sales": float},
                     keep_default_na=False, na_values={"sales": ["", "NA", "NaN"]})
    dates = pd.to_datetime(df["date"], format="%Y-%m-%d").to_numpy().astype("datetime64[D]")
    sales = df["sales"].to_numpy(dtype=float)
    sales = np.where(np.isfinite(sales), sales, 0.0)
    codes, uniques = pd.factorize(pd.MultiIndex.from_arrays([df["store"], df["item"]]), sort=False)
    keys = [tuple(u) for u in uniques]  # every series in the file, even one with no row <= cutoff
    del df
    if limit is not None:
        keys = keys[:limit]
        sel = codes < limit
        codes, dates, sales = codes[sel], dates[sel], sales[sel]
    # Train on rows with date <= cutoff ONLY: everything later is dropped here.
    sel = dates <= cutoff
    codes, dates, sales = codes[sel], dates[sel], sales[sel]
    order = np.lexsort((dates, codes))
    codes, dates, sales = codes[order], dates[order], sales[order]
    bounds = np.searchsorted(codes, np.arange(len(keys) + 1))
    starts, ys = [], []
    for k in range(len(keys)):
        a, b = bounds[k], bounds[k + 1]
        if a == b:
            starts.append(cutoff + 1)
            ys.append(np.zeros(0))
            continue
        d, s = dates[a:b], sales[a:b]
        first = d[0]
        n = int((cutoff - first).astype(int)) + 1
        y = np.zeros(n)  # missing days inside the series = 0 sales
        np.add.at(y, (d - first).astype(int), s)  # duplicate rows for a day are summed
        if not keep_leading_zeros:
            nz = np.flatnonzero(y)
            if len(nz) == 0:
                y = y[:0]
                first = cutoff + 1
            else:
                first = first + nz[0]
                y = y[nz[0]:]
        starts.append(first)
        ys.append(y)
    return keys, starts, ys


# ----------------------------------------------------------------------------------------- models

def snaive_fallback(y: np.ndarray, h: int):
    if len(y) == 0:
        f = np.zeros(h)
    elif len(y) < SEASON:
        f = np.full(h, y[-1])
    else:
        f = np.resize(y[-SEASON:], h)
    return f, f.copy(), f.copy()


def _check(f, lo, hi, h):
    f, lo, hi = (np.asarray(a, dtype=float).reshape(-1) for a in (f, lo, hi))
    if f.shape != (h,) or lo.shape != (h,) or hi.shape != (h,):
        raise ValueError("bad forecast shape")
    if not (np.isfinite(f).all() and np.isfinite(lo).all() and np.isfinite(hi).all()):
        raise ValueError("non-finite forecast")
    return f, lo, hi


def fit_prophet(start, y, h):
    from prophet import Prophet

    zero_share = float(np.mean(y == 0))
    mode = _CFG["prophet_mode"]
    if mode == "auto":
        mode = "multiplicative" if zero_share <= 0.01 else "additive"
    np.random.seed(0)  # Prophet's interval sampling uses numpy's global RNG
    m = Prophet(interval_width=LEVEL / 100, yearly_seasonality=True, weekly_seasonality=True,
                daily_seasonality=False, seasonality_mode=mode)
    ds = pd.date_range(pd.Timestamp(start), periods=len(y), freq="D")
    m.fit(pd.DataFrame({"ds": ds, "y": y}))
    fut = pd.DataFrame({"ds": pd.date_range(ds[-1] + pd.Timedelta(days=1), periods=h, freq="D")})
    p = m.predict(fut)
    return (p["yhat"].to_numpy(), p["yhat_lower"].to_numpy(), p["yhat_upper"].to_numpy(),
            mode == "multiplicative")


def fit_sf(name, y, h):
    from statsforecast.models import AutoETS, SeasonalNaive, SimpleExponentialSmoothingOptimized
    from statsforecast.utils import ConformalIntervals

    if name == "autoets":
        r = AutoETS(season_length=SEASON).forecast(y=y, h=h, level=[LEVEL])
    elif name == "seasonal_naive":
        r = SeasonalNaive(season_length=SEASON).forecast(y=y, h=h, level=[LEVEL])
    elif name == "ses":
        n_windows = 2
        if len(y) > n_windows * h + 1:
            pi = ConformalIntervals(h=h, n_windows=n_windows)
            r = SimpleExponentialSmoothingOptimized(prediction_intervals=pi).forecast(
                y=y, h=h, level=[LEVEL])
        else:
            r = SimpleExponentialSmoothingOptimized().forecast(y=y, h=h)
            r = {"mean": r["mean"], f"lo-{LEVEL}": r["mean"], f"hi-{LEVEL}": r["mean"]}
    else:
        raise ValueError(name)
    return r["mean"], r[f"lo-{LEVEL}"], r[f"hi-{LEVEL}"], False


def forecast_one(task):
    """task = (index, start, y). Returns (index, f, lo, hi, status, multiplicative)."""
    idx, start, y = task
    h, model = _CFG["horizon"], _CFG["model"]
    if len(y) == 0:
        z = np.zeros(h)
        return idx, z, z, z, "no_history", False
    try:
        if model == "prophet":
            f, lo, hi, mult = fit_prophet(start, y, h)
        else:
            f, lo, hi, mult = fit_sf(model, y, h)
        f, lo, hi = _check(f, lo, hi, h)
        status = "ok"
    except Exception as e:  # noqa: BLE001 - any failure of one series -> seasonal naive
        if _CFG.get("verbose"):
            print(f"series {idx}: {type(e).__name__}: {e}", file=sys.stderr)
        f, lo, hi = snaive_fallback(y, h)
        status, mult = "failure", False
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    return idx, np.maximum(f, 0), np.maximum(lo, 0), np.maximum(hi, 0), status, mult


def _cpu():
    """CPU seconds (user + sys) of this process and its waited-for children (cmdstan)."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def forecast_chunk(tasks):
    c0 = _cpu()
    rs = [forecast_one(t) for t in tasks]
    return rs, _cpu() - c0


def _init_worker(cfg, barrier):
    _silence()
    _CFG.update(cfg)
    if cfg["model"] == "prophet":
        import prophet  # noqa: F401
    else:
        import statsforecast.models  # noqa: F401
    barrier.wait()


class TreeRss:
    """Samples the summed RSS of this process and all its descendants (pool workers, cmdstan)
    from /proc every `every` seconds: the simultaneous peak, which getrusage cannot give."""

    def __init__(self, every=0.2):
        self.every, self.peak_kb, self._stop = every, 0, threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()

    def _run(self):
        me = os.getpid()
        while True:
            self.peak_kb = max(self.peak_kb, self._sample(me))
            if self._stop.wait(self.every):
                return

    @staticmethod
    def _sample(root):
        kids, rss = {}, {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    st = f.read()
                fields = st[st.rindex(")") + 2:].split()
                kids.setdefault(int(fields[1]), []).append(int(d))
                rss[int(d)] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
            except (OSError, ValueError, IndexError):
                continue
        total, stack = 0, [root]
        while stack:
            p = stack.pop()
            total += rss.get(p, 0)
            stack.extend(kids.get(p, []))
        return total


# ------------------------------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, choices=MODELS)
    ap.add_argument("--input", required=True)
    ap.add_argument("--cutoff", required=True, help="last training date, YYYY-MM-DD")
    ap.add_argument("--horizon", required=True, type=int)
    ap.add_argument("--output", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--limit-series", type=int, default=None,
                    help="only the first K series in order of appearance")
    ap.add_argument("--prophet-mode", choices=("auto", "multiplicative", "additive"),
                    default="auto")
    ap.add_argument("--keep-leading-zeros", action="store_true")
    ap.add_argument("--verbose", action="store_true", help="print per-series failures to stderr")
    a = ap.parse_args(argv)
    if a.horizon < 1:
        ap.error("--horizon must be >= 1")
    _silence()
    cutoff = np.datetime64(a.cutoff, "D")

    t0 = time.perf_counter()
    keys, starts, ys = load_series(a.input, cutoff, a.limit_series, a.keep_leading_zeros)
    load_s = time.perf_counter() - t0

    cfg = dict(model=a.model, horizon=a.horizon, prophet_mode=a.prophet_mode, verbose=a.verbose)
    _CFG.update(cfg)
    tasks = [(i, starts[i], ys[i]) for i in range(len(keys))]
    # Biggest series first so that the last chunk in flight is a short one.
    tasks.sort(key=lambda t: -len(t[2]))
    results = [None] * len(keys)

    pool_s, cpu_s = 0.0, 0.0
    with TreeRss() as tree:
        if a.jobs <= 1:
            _init_worker(cfg, threading.Barrier(1))
            t1 = time.perf_counter()
            rs, cpu_s = forecast_chunk(tasks)
            for r in rs:
                results[r[0]] = r
            fit_s = time.perf_counter() - t1
        else:
            # Fresh (spawned) workers: they do not inherit this process's memory, so their RSS
            # is their own. Starting them and importing the library in them is timed apart
            # (pool_start_seconds); fit_forecast_seconds starts when every worker is ready.
            ctx = mp.get_context("spawn")
            per_chunk = 1 if a.model == "prophet" else max(1, len(tasks) // (a.jobs * 8))
            chunks = [tasks[i:i + per_chunk] for i in range(0, len(tasks), per_chunk)]
            tp = time.perf_counter()
            barrier = ctx.Barrier(a.jobs + 1)
            pool = ctx.Pool(a.jobs, initializer=_init_worker, initargs=(cfg, barrier))
            try:
                barrier.wait()
                t1 = time.perf_counter()
                pool_s = t1 - tp
                for rs, c in pool.imap_unordered(forecast_chunk, chunks):
                    cpu_s += c
                    for r in rs:
                        results[r[0]] = r
                fit_s = time.perf_counter() - t1
            finally:
                pool.close()
                pool.join()  # joined children count in RUSAGE_CHILDREN

    t2 = time.perf_counter()
    h = a.horizon
    fdates = (cutoff + 1 + np.arange(h)).astype(str)
    n = len(keys)
    out = pd.DataFrame({
        "date": np.tile(fdates, n),
        "store": np.repeat([k[0] for k in keys], h),
        "item": np.repeat([k[1] for k in keys], h),
        "forecast": np.concatenate([r[1] for r in results]) if n else [],
        "p10": np.concatenate([r[2] for r in results]) if n else [],
        "p90": np.concatenate([r[3] for r in results]) if n else [],
    })
    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    out.to_csv(a.output, index=False, float_format="%.4f")
    write_s = time.perf_counter() - t2

    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    statuses = [r[4] for r in results]
    rec = {
        "model": a.model,
        "series": n,
        "fit_forecast_seconds": round(fit_s, 3),
        "load_seconds": round(load_s, 3),
        "peak_rss_mb": round(max(self_mb, tree.peak_kb / 1024), 1),
        "failures": statuses.count("failure"),
        "no_history": statuses.count("no_history"),
        "peak_rss_self_mb": round(self_mb, 1),
        "peak_rss_child_mb": round(child_mb, 1),
        "peak_rss_tree_mb": round(tree.peak_kb / 1024, 1),
        "pool_start_seconds": round(pool_s, 3),
        "fit_forecast_cpu_seconds": round(cpu_s, 3),
        "write_seconds": round(write_s, 3),
        "jobs": a.jobs,
        "input": os.path.basename(a.input),
        "cutoff": a.cutoff,
        "horizon": h,
    }
    if a.model == "prophet":
        rec["prophet_multiplicative_series"] = sum(1 for r in results if r[5])
    print(json.dumps(rec))
    return 0


if __name__ == "__main__":
    sys.exit(main())
