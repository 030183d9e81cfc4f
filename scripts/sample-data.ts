import { dayOfWeek, formatIsoDay, parseIsoDay } from '../engine/index.js';
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

/** Days the drivers reach past the last sales day: the planners' calendar for the weeks ahead. */
const PLANNED_DAYS = 60;
/** The south region's stores close on Sundays (and their tills record nothing those days). */
const closesOnSunday = (store: string): boolean => store.startsWith('2');
const isSunday = (day: number): boolean => dayOfWeek(day) === 0;
/** Items on promotion Thursday to Saturday, every other week (a planner's promotion calendar). */
const PROMOTED_ITEMS = 6;
const onPromotion = (item: number, day: number): boolean => item <= PROMOTED_ITEMS && Math.floor(day / 7) % 2 === 0 && [4, 5, 6].includes(dayOfWeek(day));
const HOLIDAY_NAME = 'Harvest Festival';

/**
 * The north's "Summer week": every item of stores 101 and 102 on promotion for seven days, selling 1.8 times
 * as much. It ran half a year and a year ago (so the engine can learn its uplift) and runs again from 9 days
 * after the last sales day: inside the forecast, well above each weekday's normal, the heightened-demand
 * week the planners' "Needs attention" list opens with.
 */
export const SUMMER_WEEK_STORES = ['101', '102'];
const SUMMER_WEEK_UPLIFT = 1.8;
const SUMMER_WEEK_STARTS = [-365 + 9, -182 + 9, 9];
export function inSummerWeek(store: string, day: number, lastDay: number): boolean {
  return SUMMER_WEEK_STORES.includes(store) && SUMMER_WEEK_STARTS.some((start) => day >= lastDay + start && day < lastDay + start + 7);
}

/**
 * Store 102's football final: three days of last week (5 to 3 days before the last sales day) selling 1.3×,
 * with no driver for it; a planner's override (scripts/sample-override.ts) foresaw it.
 */
export function inFootballFinal(store: string, day: number, lastDay: number): boolean {
  return store === '102' && day >= lastDay - 5 && day <= lastDay - 3;
}

/** The days of the coming Summer week (ISO dates), for the tests and the screenshots. */
export function summerWeek(lastDay: string): string[] {
  const end = parseIsoDay(lastDay)!;
  return Array.from({ length: 7 }, (_, i) => formatIsoDay(end + 9 + i));
}

/** The holiday falls 10 days after the last sales day, on the same date every year, so history has it too. */
function isHoliday(day: number, lastDay: number): boolean {
  return formatIsoDay(day).slice(5) === formatIsoDay(lastDay + 10).slice(5);
}

/**
 * Two years of generated daily sales up to `lastDay` (yesterday): weekly and yearly seasonality, mild
 * growth, store sizes that differ, a few slow intermittent items, Christmas closures, the south region
 * closed on Sundays, promotions that sell 2.5 times as much, and a yearly holiday that sells 1.6 times.
 */
export function sampleSalesCsv(lastDay: string, items = 20): string {
  const end = parseIsoDay(lastDay)!;
  const start = end - 2 * 365 + 1;
  const weekly = [1.3, 0.8, 0.85, 0.9, 0.95, 1.1, 1.25];
  const lines = ['date,store,item,sales'];
  SAMPLE_STORES.forEach(({ store }, s) => {
    const summer = (day: number): boolean => inSummerWeek(store, day, end);
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
        if (closesOnSunday(store) && isSunday(day)) continue;
        const t = day - start;
        const season = 1 + 0.2 * Math.sin((2 * Math.PI * (t + 60)) / 365.25);
        const uplift = (onPromotion(item, day) ? 2.5 : summer(day) ? SUMMER_WEEK_UPLIFT : 1) * (isHoliday(day, end) ? 1.6 : 1) * (inFootballFinal(store, day, end) ? 1.3 : 1);
        const mean = base * weekly[(((day + 4) % 7) + 7) % 7]! * season * (1 + 0.0003 * t) * uplift;
        lines.push(`${date},${store},${sku},${poisson(next, mean, 40)}`);
      }
    }
  });
  return `${lines.join('\n')}\n`;
}

/**
 * The planners' drivers for the sample stores, as three files in the drivers format: the promotion
 * calendar (per store and item), the south region's Sunday closures, and the holiday (every store), each
 * covering the sales history and the next weeks.
 */
export function sampleDriversCsvs(lastDay: string, items = 20): { name: string; csv: string }[] {
  const end = parseIsoDay(lastDay)!;
  const start = end - 2 * 365 + 1;
  const promotions = ['date,store,item,promo'];
  const openings = ['date,store,open'];
  const calendar = ['date,holiday'];
  for (let day = start; day <= end + PLANNED_DAYS; day++) {
    const date = formatIsoDay(day);
    calendar.push(`${date},${isHoliday(day, end) ? HOLIDAY_NAME : ''}`);
    for (const { store } of SAMPLE_STORES) {
      if (closesOnSunday(store)) openings.push(`${date},${store},${isSunday(day) ? 0 : 1}`);
      // Every item of the Summer week's stores has a promotion row; elsewhere only the calendar's items do.
      const promotable = SUMMER_WEEK_STORES.includes(store) ? items : Math.min(items, PROMOTED_ITEMS);
      for (let item = 1; item <= promotable; item++) promotions.push(`${date},${store},SKU-${String(item).padStart(3, '0')},${onPromotion(item, day) || inSummerWeek(store, day, end) ? 1 : 0}`);
    }
  }
  return [
    { name: 'drivers/sample-promotions.csv', csv: `${promotions.join('\n')}\n` },
    { name: 'drivers/sample-openings.csv', csv: `${openings.join('\n')}\n` },
    { name: 'drivers/sample-calendar.csv', csv: `${calendar.join('\n')}\n` },
  ];
}

/** Items the sample item master leaves without pack sizes: the transport view counts them in units and names them. */
export const ITEMS_WITHOUT_PACK_SIZES = ['SKU-019', 'SKU-020'];

/**
 * The item master (`uploads/items/`): units per case and cases per pallet of every item but the last two,
 * with a weight and volume per unit for some. Small pallets (60–150 units), so a store-day is a few pallets.
 */
export function sampleItemMasterCsv(items = 20): { name: string; csv: string } {
  const lines = ['item,units_per_case,cases_per_pallet,weight_per_unit,volume_per_unit'];
  for (let item = 1; item <= items; item++) {
    const sku = `SKU-${String(item).padStart(3, '0')}`;
    if (ITEMS_WITHOUT_PACK_SIZES.includes(sku)) continue;
    const perCase = [6, 12, 10][item % 3]!;
    const perPallet = [10, 8, 12, 15][item % 4]!;
    lines.push(`${sku},${perCase},${perPallet},${item % 2 === 0 ? (0.2 + item / 20).toFixed(2) : ''},${item % 2 === 0 ? (0.5 + item / 10).toFixed(1) : ''}`);
  }
  return { name: 'items/sample-items.csv', csv: `${lines.join('\n')}\n` };
}

/**
 * The store file (`uploads/stores/`): a truck's capacity and each store's receiving limit, in pallets. The
 * Summer week's stores have limits a busy day crosses at a high service level.
 */
export function sampleStoresCsv(): { name: string; csv: string } {
  const limits: Record<string, number> = { '101': 8, '102': 9, '103': 10, '201': 8, '202': 10, '203': 12 };
  const lines = ['store,truck_pallets,receiving_limit_pallets', ...SAMPLE_STORES.map(({ store }) => `${store},26,${limits[store] ?? ''}`)];
  return { name: 'stores/sample-stores.csv', csv: `${lines.join('\n')}\n` };
}
