import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { naiveScale, parseIsoDay, smapePoint } from '../engine/index.js';

/** Long-format table keyed by store/item → day → value; small enough for the benchmark data in memory. */
export type Panel = Map<string, Map<number, number>>;

export function readPanel(path: string, valueColumn: string, extra: string[] = []): { panel: Panel; extras: Map<string, Map<number, number[]>>; columns: string[] } {
  const bytes = readFileSync(path);
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  const lines = text.split('\n');
  const header = lines[0]!.trim().split(',');
  const di = header.indexOf('date');
  const si = header.indexOf('store');
  const ii = header.indexOf('item');
  const vi = header.indexOf(valueColumn);
  const ei = extra.map((c) => header.indexOf(c));
  const panel: Panel = new Map();
  const extras = new Map<string, Map<number, number[]>>();
  for (let l = 1; l < lines.length; l++) {
    const line = lines[l]!.trim();
    if (line === '') continue;
    const f = line.split(',');
    const key = `${f[si]},${f[ii]}`;
    const day = parseIsoDay(f[di]!)!;
    let series = panel.get(key);
    if (series === undefined) panel.set(key, (series = new Map<number, number>()));
    series.set(day, Number(f[vi]));
    if (ei.length > 0) {
      let e = extras.get(key);
      if (e === undefined) extras.set(key, (e = new Map<number, number[]>()));
      e.set(day, ei.map((i) => Number(f[i])));
    }
  }
  return { panel, extras, columns: header };
}

export interface Score {
  smape: number;
  rmsse: number;
  /** Σ|F − A| / ΣA over the scored points, in %. */
  wape: number;
  /** Share of ALL scored points with p10 ≤ A ≤ p90 (p10 = p90 = A is covered); NaN without p10/p90 columns. */
  coverage: number;
  /** Coverage on the days `marked` picks (promotion or event days); NaN without. */
  markedCoverage: number;
  /** Series in RMSSE's mean (a history scale above 0 and at least one scored point). */
  series: number;
  /** Expected points: the actuals' (series, day) points in the test window. */
  expected: number;
  /** Expected points with a forecast: every other figure is over these. */
  points: number;
  /** Expected points without a forecast. Two models are compared on the same points only when both show 0. */
  missing: number;
}

/** Days on which some driver is active for a series: `all` for every series, `byKey` for one `store,item`. */
export interface MarkedDays {
  all: Set<number>;
  byKey: Map<string, Set<number>>;
}

/**
 * Promotion and event days from drivers files: a row marks its day when any driver other than `open` is
 * active (a number above 0, or a non-empty text). Rows without store/item mark every series (per store).
 */
export function readMarkedDays(paths: readonly string[]): MarkedDays {
  const marked: MarkedDays = { all: new Set(), byKey: new Map() };
  for (const path of paths) {
    const bytes = readFileSync(path);
    const lines = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8').split('\n');
    const header = lines[0]!.trim().split(',');
    const di = header.indexOf('date');
    const si = header.indexOf('store');
    const ii = header.indexOf('item');
    const drivers = header.map((_, i) => i).filter((i) => i !== di && i !== si && i !== ii && header[i] !== 'open');
    for (let l = 1; l < lines.length; l++) {
      const f = lines[l]!.trim().split(',');
      if (f.length < header.length) continue;
      const active = drivers.some((i) => {
        const v = f[i]!.trim();
        return v !== '' && (Number.isNaN(Number(v)) || Number(v) > 0);
      });
      if (!active) continue;
      const day = parseIsoDay(f[di]!)!;
      if (ii >= 0 && f[ii] !== '') {
        const key = `${si >= 0 ? f[si] : ''},${f[ii]}`;
        let set = marked.byKey.get(key);
        if (set === undefined) marked.byKey.set(key, (set = new Set()));
        set.add(day);
      } else marked.all.add(day);
    }
  }
  return marked;
}

/**
 * One definition, shared with bench/peers/score.py (a test checks they agree). Expected points are the
 * actuals' (series, day) points; those without a forecast are `missing`, printed on stderr and left out of
 * every figure. Over the rest: SMAPE over all points, RMSSE averaged over series whose history scale is
 * above 0 (design §4), WAPE, and coverage: the share of ALL points with p10 ≤ A ≤ p90, so a point whose
 * p10 = p90 counts (covered only when it equals the actual) and every model is scored on the same points.
 */
export function score(history: Panel, actuals: Panel, forecastPath: string, marked?: MarkedDays): Score {
  const { panel: forecasts, extras, columns } = readPanel(forecastPath, 'forecast', ['p10', 'p90']);
  const hasBands = columns.includes('p10') && columns.includes('p90');
  let smapeSum = 0;
  let points = 0;
  let expected = 0;
  let rmsseSum = 0;
  let series = 0;
  let covered = 0;
  let markedCovered = 0;
  let markedPoints = 0;
  let absError = 0;
  let actualSum = 0;
  let missing = 0;
  for (const [key, actual] of actuals) {
    const f = forecasts.get(key);
    const bands = extras.get(key);
    let sse = 0;
    let n = 0;
    for (const [day, a] of actual) {
      expected++;
      const v = f?.get(day);
      if (v === undefined) {
        missing++;
        continue;
      }
      smapeSum += smapePoint(v, a);
      absError += Math.abs(v - a);
      actualSum += a;
      points++;
      sse += (v - a) * (v - a);
      n++;
      const band = bands?.get(day);
      const inside = band !== undefined && Number.isFinite(band[0]) && Number.isFinite(band[1]) && a >= band[0]! && a <= band[1]!;
      if (inside) covered++;
      if (marked !== undefined && (marked.all.has(day) || marked.byKey.get(key)?.has(day) === true)) {
        markedPoints++;
        if (inside) markedCovered++;
      }
    }
    const h = history.get(key);
    const scale = h === undefined ? Number.NaN : naiveScale([...h.keys()].sort((a, b) => a - b).map((d) => h.get(d)!));
    if (n > 0 && scale > 0) {
      rmsseSum += Math.sqrt(sse / n / scale);
      series++;
    }
  }
  process.stderr.write(`score ${basename(forecastPath)}: ${points} of ${expected} expected points scored, missing ${missing}\n`);
  return {
    smape: smapeSum / points,
    rmsse: rmsseSum / series,
    wape: (100 * absError) / actualSum,
    coverage: hasBands && points > 0 ? covered / points : Number.NaN,
    markedCoverage: hasBands && markedPoints > 0 ? markedCovered / markedPoints : Number.NaN,
    series,
    expected,
    points,
    missing,
  };
}

/** The actuals' points inside the test window cutoff+1 … cutoff+horizon (days since the epoch). */
export function testWindow(full: Panel, cutoffDay: number, horizon: number): Panel {
  const window: Panel = new Map();
  for (const [key, series] of full) {
    const days = new Map<number, number>();
    for (const [day, value] of series) if (day > cutoffDay && day <= cutoffDay + horizon) days.set(day, value);
    if (days.size > 0) window.set(key, days);
  }
  return window;
}

/** The history up to and including the cut-off (days since the epoch). */
export function historyUpTo(full: Panel, cutoffDay: number): Panel {
  const history: Panel = new Map();
  for (const [key, series] of full) {
    const days = new Map<number, number>();
    for (const [day, value] of series) if (day <= cutoffDay) days.set(day, value);
    if (days.size > 0) history.set(key, days);
  }
  return history;
}

/** `score.py`'s command line in TypeScript: one data file holds the history and the actuals. */
export function scoreFiles(dataPath: string, forecastPath: string, cutoff: string, horizon: number): Score {
  const cutoffDay = parseIsoDay(cutoff);
  if (cutoffDay === undefined) throw new Error(`cut-off ${cutoff} is not a YYYY-MM-DD date`);
  const { panel } = readPanel(dataPath, 'sales');
  return score(historyUpTo(panel, cutoffDay), testWindow(panel, cutoffDay, horizon), forecastPath);
}
