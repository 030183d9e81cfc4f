import type { SeriesForecast } from '../engine/index.js';

/** `--<name> <positive number>` from the command line, else `fallback`. */
export function numberFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/** The benches' forecasts: item k, day d → 20 + k + 5 sin(d/3) + d mod 7, band ×0.7 … ×1.4. */
export function syntheticForecasts(store: string, items: number, horizon: number, firstDay: number): SeriesForecast[] {
  return Array.from({ length: items }, (_, k) => {
    const f = Float64Array.from({ length: horizon }, (_, d) => 20 + k + 5 * Math.sin(d / 3) + (d % 7));
    return { store, item: String(k + 1), firstDay, forecast: f, p10: f.map((v) => v * 0.7), p90: f.map((v) => v * 1.4) };
  });
}
