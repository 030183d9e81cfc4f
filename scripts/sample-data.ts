import { epochDayFromCivil, formatIsoDay } from '../engine/index.js';
import { poisson, seededRandom } from './random.js';

export interface SampleStore {
  store: string;
  region: string;
}

export const SAMPLE_STORES: SampleStore[] = [
  { store: '101', region: 'north' },
  { store: '102', region: 'north' },
  { store: '103', region: 'north' },
  { store: '201', region: 'south' },
  { store: '202', region: 'south' },
  { store: '203', region: 'south' },
];

/**
 * Two years of generated daily sales up to `lastDay` (yesterday): weekly and yearly seasonality, mild
 * growth, store sizes that differ, a few slow intermittent items, and Christmas closures.
 */
export function sampleSalesCsv(lastDay: string, items = 20): string {
  const [y, m, d] = lastDay.split('-').map(Number) as [number, number, number];
  const end = epochDayFromCivil(y, m, d);
  const start = end - 2 * 365 + 1;
  const weekly = [1.3, 0.8, 0.85, 0.9, 0.95, 1.1, 1.25];
  const lines = ['date,store,item,sales'];
  SAMPLE_STORES.forEach(({ store }, s) => {
    const next = seededRandom(1000 + s);
    const size = 0.6 + 0.25 * s;
    for (let item = 1; item <= items; item++) {
      const base = item % 7 === 0 ? 0.3 : size * (4 + 30 * next());
      const sku = `SKU-${String(item).padStart(3, '0')}`;
      for (let day = start; day <= end; day++) {
        const date = formatIsoDay(day);
        if (date.endsWith('-12-25')) {
          lines.push(`${date},${store},${sku},0`);
          continue;
        }
        const t = day - start;
        const season = 1 + 0.2 * Math.sin((2 * Math.PI * (t + 60)) / 365.25);
        const mean = base * weekly[(((day + 4) % 7) + 7) % 7]! * season * (1 + 0.0003 * t);
        lines.push(`${date},${store},${sku},${poisson(next, mean, 40)}`);
      }
    }
  });
  return `${lines.join('\n')}\n`;
}
