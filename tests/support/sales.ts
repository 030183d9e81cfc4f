import { epochDayFromCivil, formatIsoDay, type SeriesHistory } from '../../engine/index.js';
import { poisson, seededRandom } from '../../scripts/random.js';

// One PRNG for sample and test data: `npm start`'s sample data uses it too.
export { gaussian, poisson, seededRandom } from '../../scripts/random.js';

export interface GeneratedSeriesSpec {
  store: string;
  item: string;
  days: number;
  start?: string;
  /** value(dayIndex, epochDay) → expected sales; noise is added by `noise`. */
  mean: (index: number, day: number) => number;
  noise?: 'none' | 'poisson';
  seed?: number;
}

export function generateSeries(spec: GeneratedSeriesSpec): SeriesHistory {
  const [y, m, d] = (spec.start ?? '2021-01-04').split('-').map(Number) as [number, number, number];
  const startDay = epochDayFromCivil(y, m, d);
  const random = seededRandom(spec.seed ?? 1);
  const values = new Float64Array(spec.days);
  for (let i = 0; i < spec.days; i++) {
    const expected = spec.mean(i, startDay + i);
    values[i] = spec.noise === 'poisson' ? poisson(random, expected) : expected;
  }
  return { store: spec.store, item: spec.item, startDay, values };
}

export function toCsv(series: readonly SeriesHistory[]): string {
  const lines = ['date,store,item,sales'];
  for (const s of series) for (let i = 0; i < s.values.length; i++) if (!Number.isNaN(s.values[i]!)) lines.push(`${formatIsoDay(s.startDay + i)},${s.store},${s.item},${s.values[i]}`);
  return `${lines.join('\n')}\n`;
}

/** A realistic small store: weekly and yearly seasonality, mild growth, a couple of intermittent items. */
export function sampleStore(store: string, items: number, days: number, seed = 7): SeriesHistory[] {
  const random = seededRandom(seed);
  const out: SeriesHistory[] = [];
  for (let k = 1; k <= items; k++) {
    const base = k % 5 === 0 ? 0.4 : 10 + 40 * random();
    const weekly = [1.25, 0.8, 0.85, 0.9, 0.95, 1.1, 1.15];
    out.push(
      generateSeries({
        store,
        item: String(k),
        days,
        noise: 'poisson',
        seed: seed * 1000 + k,
        mean: (i, day) => base * weekly[(((day + 4) % 7) + 7) % 7]! * (1 + 0.25 * Math.sin((2 * Math.PI * (i + 40)) / 365.25)) * (1 + 0.0002 * i),
      }),
    );
  }
  return out;
}
