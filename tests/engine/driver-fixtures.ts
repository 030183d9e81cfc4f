import { epochDayFromCivil, formatIsoDay, type SeriesHistory } from '../../engine/index.js';
import { poisson, seededRandom } from '../support/sales.js';

export const START = epochDayFromCivil(2021, 1, 4);
const WEEKLY = [1.3, 0.8, 0.85, 0.9, 0.95, 1.1, 1.2];

export function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

export interface PromoStore {
  series: SeriesHistory[];
  /** item → set of promotion days (history and future). */
  promoDays: Map<string, Set<number>>;
  lastDay: number;
  /** The drivers CSV: promotions for every item, history and `futureDays` after the last sales day. */
  driversCsv: string;
}

/**
 * A store whose items sell `uplift` times as much on promotion days (runs of 3–7 days, about one in five
 * days), Poisson noise on a weekly pattern. The promotion calendar reaches `futureDays` past the sales.
 */
export function promoStore(options: { store?: string; items?: number; days?: number; uplift?: number; futureDays?: number; seed?: number } = {}): PromoStore {
  const store = options.store ?? 's';
  const items = options.items ?? 6;
  const days = options.days ?? 700;
  const uplift = options.uplift ?? 3;
  const futureDays = options.futureDays ?? 28;
  const random = seededRandom(options.seed ?? 5);
  const series: SeriesHistory[] = [];
  const promoDays = new Map<string, Set<number>>();
  const lines = ['date,store,item,promo'];
  for (let k = 1; k <= items; k++) {
    const item = `i${k}`;
    const base = 8 + 4 * k;
    const promos = new Set<number>();
    for (let i = 0; i < days + futureDays; ) {
      if (random() < 0.05) {
        const run = 3 + Math.floor(random() * 5);
        for (let r = 0; r < run; r++) promos.add(START + i + r);
        i += run + 7;
      } else i++;
    }
    promoDays.set(item, promos);
    const values = new Float64Array(days);
    for (let i = 0; i < days; i++) {
      const day = START + i;
      values[i] = poisson(random, base * WEEKLY[weekday(day)]! * (promos.has(day) ? uplift : 1));
    }
    series.push({ store, item, startDay: START, values });
    for (let i = 0; i < days + futureDays; i++) lines.push(`${formatIsoDay(START + i)},${store},${item},${promos.has(START + i) ? 1 : 0}`);
  }
  return { series, promoDays, lastDay: START + days - 1, driversCsv: `${lines.join('\n')}\n` };
}

export function salesCsv(series: readonly SeriesHistory[]): string {
  const lines = ['date,store,item,sales'];
  for (const s of series) for (let i = 0; i < s.values.length; i++) if (!Number.isNaN(s.values[i]!)) lines.push(`${formatIsoDay(s.startDay + i)},${s.store},${s.item},${s.values[i]}`);
  return `${lines.join('\n')}\n`;
}
