import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { epochDayFromCivil, formatIsoDay } from '../../engine/index.js';
import { encodePrincipal } from '../../functions/http/principal.js';
import { useIngestHost } from '../support/ingest-host.js';
import { generateSeries, toCsv } from '../support/sales.js';

/**
 * Drivers from an upload to the planner's view: uploads/drivers/… through the same queue-triggered
 * ingestion as sales → stored per store → the trainer uses them → the API marks closed days, promotions and
 * events, and the transport view lists closed days.
 */

const REPO = path.resolve(__dirname, '../..');
const MODULES = ['ingest-sales', 'get-forecasts', 'get-transport', 'get-stores'].map((f) => path.join(REPO, 'functions', `${f}.ts`));
const ADMIN = { 'x-ms-client-principal': encodePrincipal({ identityProvider: 'aad', userId: 'u-ops', userDetails: 'ops@contoso.com', userRoles: ['authenticated', 'admin'] }) };

const START = epochDayFromCivil(2024, 1, 1);
// 419 days: the history ends on a Saturday, so the forecast starts the day after it.
const DAYS = 419;
const LAST = START + DAYS - 1;
const isSunday = (day: number): boolean => new Date(day * 86_400_000).getUTCDay() === 0;
// Item 1 is on promotion one week in four (Thursday to Saturday), also on planned days after the history.
const onPromotion = (day: number): boolean => Math.floor((day - START) / 7) % 4 === 1 && [4, 5, 6].includes(new Date(day * 86_400_000).getUTCDay());
const HOLIDAY = LAST + 10;

function salesCsv(): string {
  const series = ['1', '2'].map((item, k) =>
    generateSeries({ store: 'D1', item, days: DAYS, start: formatIsoDay(START), seed: 3 + k, noise: 'poisson', mean: (_, day) => (isSunday(day) ? 0 : (20 + 10 * k) * (item === '1' && onPromotion(day) ? 3 : 1)) }),
  );
  // Closed days are absent from a POS export, not zeros.
  return toCsv(series.map((s) => ({ ...s, values: s.values.map((v, i) => (isSunday(s.startDay + i) ? Number.NaN : v)) })));
}

function promotionsCsv(): string {
  const lines = ['date,store,item,promo'];
  for (let day = START; day <= LAST + 60; day++) lines.push(`${formatIsoDay(day)},D1,1,${onPromotion(day) ? 1 : 0}`);
  return `${lines.join('\n')}\n`;
}

function calendarCsv(): string {
  const lines = ['date,open,holiday'];
  for (let day = START; day <= LAST + 60; day++) lines.push(`${formatIsoDay(day)},${isSunday(day) || day === HOLIDAY ? 0 : 1},${day === HOLIDAY ? 'Founders Day' : ''}`);
  return `${lines.join('\n')}\n`;
}

describe('drivers from upload to the planner', () => {
  const ingest = useIngestHost({ taskHub: 'DriversHub', settings: { FOREACT_HORIZON_DAYS: '28', FOREACT_BACKTEST_FOLDS: '2' }, modules: MODULES });

  async function api<T>(route: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T; text: string }> {
    const response = await fetch(`${ingest.host.url}/api${route}`, { headers: { ...ADMIN, ...headers } });
    const text = await response.text();
    return { status: response.status, text, body: (headers.accept === 'text/csv' ? undefined : JSON.parse(text)) as T };
  }

  test('a bad drivers file changes nothing and names its lines', async () => {
    await ingest.upload('pos/d1.csv', salesCsv());
    await ingest.upload('drivers/broken.csv', 'date,store,item,promo,open\n2024-01-01,D1,1,1,1\n2024-13-01,D1,1,0,1\n2024-01-03,D1,1,0,2\n');
    const state = (await ingest.deps.storage.stores.get('D1'))!.value;
    expect(state.drivers).toBeUndefined();
    const report = (await ingest.deps.storage.clients.container('rejected').getBlobClient('drivers/broken.csv.rejected.csv').downloadToBuffer()).toString();
    expect(report).toMatch(/^line,reason,row\n3,.*2024-13-01/m);
    expect(report).toMatch(/\n4,.*open.*2024-01-03,D1,1,0,2/);
  });

  test('drivers are stored per store, trained on, and shown: closed days at 0, promotions and the holiday marked', async () => {
    await ingest.upload('drivers/promotions.csv', promotionsCsv());
    await ingest.upload('drivers/calendar.csv', calendarCsv());
    const state = (await ingest.deps.storage.stores.get('D1'))!.value;
    expect(state.drivers).toMatchObject({ firstDay: formatIsoDay(START), lastDay: formatIsoDay(LAST + 60) });
    expect(state.drivers!.columns.sort()).toEqual(['holiday', 'open', 'promo']);

    const [outcome] = await ingest.deps.trainStores({ stores: ['D1'], runId: 'run-d1-1', trigger: 'manual' });
    expect(outcome?.status, outcome?.error).toBe('succeeded');

    const from = formatIsoDay(LAST + 1);
    const to = formatIsoDay(LAST + 28);
    const forecasts = await api<{ stores: { items: { item: string; firstDate: string; forecast: number[]; p10: number[]; p90: number[] }[]; markers: { date: string; kind: string; label: string; items?: string[] }[] }[] }>(`/forecasts?stores=D1&from=${from}&to=${to}`);
    expect(forecasts.status).toBe(200);
    const [store] = forecasts.body.stores;
    const markers = store!.markers;
    const closedDays = markers.filter((m) => m.kind === 'closed').map((m) => m.date);
    const expectedClosed: string[] = [];
    for (let day = LAST + 1; day <= LAST + 28; day++) if (isSunday(day) || day === HOLIDAY) expectedClosed.push(formatIsoDay(day));
    expect(closedDays).toEqual(expectedClosed);
    expect(markers).toContainEqual({ date: formatIsoDay(HOLIDAY), kind: 'event', label: 'Founders Day' });
    const promoted: string[] = [];
    for (let day = LAST + 1; day <= LAST + 28; day++) if (onPromotion(day)) promoted.push(formatIsoDay(day));
    expect(promoted.length).toBeGreaterThan(0);
    expect(markers.filter((m) => m.kind === 'promotion')).toEqual(promoted.map((date) => ({ date, kind: 'promotion', label: 'Promo', items: ['1'] })));

    // Closed days are exactly 0 with a zero band; promotion days of item 1 well above its normal days.
    const item1 = store!.items.find((i) => i.item === '1')!;
    const at = (date: string): number => Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${item1.firstDate}T00:00:00Z`)) / 86_400_000);
    for (const date of expectedClosed) for (const series of [item1.forecast, item1.p10, item1.p90]) expect(series[at(date)]).toBe(0);
    const promoMean = promoted.reduce((s, d) => s + item1.forecast[at(d)]!, 0) / promoted.length;
    const normal = store!.items.find((i) => i.item === '1')!.forecast.filter((_, k) => !promoted.includes(formatIsoDay(LAST + 1 + k)) && !expectedClosed.includes(formatIsoDay(LAST + 1 + k)));
    expect(promoMean).toBeGreaterThan(2 * (normal.reduce((s, v) => s + v, 0) / normal.length));

    const csv = await api<never>(`/forecasts?stores=D1&from=${from}&to=${to}`, { accept: 'text/csv' });
    expect(csv.text.split('\n')[0]).toBe('date,store,item,forecast,p10,p90,closed,promotion,events,adjusted');
    expect(csv.text).toContain(`${formatIsoDay(HOLIDAY)},D1,1,0,0,0,1,0,Founders Day`);

    const transport = await api<{ stores: { store: string; closed: string[]; units: number[] }[] }>(`/transport?stores=D1&from=${from}&to=${to}`);
    expect(transport.body.stores[0]!.closed).toEqual(expectedClosed);
  }, 120_000);

  test('a changed plan makes the forecast stale; the same file again changes nothing', async () => {
    const before = (await ingest.deps.storage.stores.get('D1'))!.value;
    expect(before.stale).toBe(false);
    await ingest.upload('drivers/calendar-copy.csv', calendarCsv());
    expect((await ingest.deps.storage.stores.get('D1'))!.value.drivers!.version).toBe(before.drivers!.version);
    await ingest.upload('drivers/extra-promotion.csv', `date,store,item,promo\n${formatIsoDay(LAST + 3)},D1,2,1\n`);
    const after = (await ingest.deps.storage.stores.get('D1'))!.value;
    expect(after.drivers!.version).not.toBe(before.drivers!.version);
    expect(after.stale).toBe(true);
    expect(after.staleReason).toMatch(/planned drivers changed by upload "drivers\/extra-promotion.csv"/);
  });

  test('sales for forecast days record forecast against actual, shown with the store', async () => {
    const week: string[] = ['date,store,item,sales'];
    for (let day = LAST + 1; day <= LAST + 7; day++) {
      if (isSunday(day)) continue;
      for (const [item, mean] of [['1', 20], ['2', 30]] as const) week.push(`${formatIsoDay(day)},D1,${item},${item === '1' && onPromotion(day) ? 3 * mean : mean}`);
    }
    await ingest.upload('pos/d1-week.csv', `${week.join('\n')}\n`);
    const recorded = await ingest.deps.storage.realised.recent('D1', 30);
    expect(recorded.map((d) => d.date)).toEqual(week.slice(1).filter((_, i) => i % 2 === 0).map((line) => line.slice(0, 10)));
    // Each day names the run whose forecast it is measured against (an attempt of run-d1-1).
    expect(recorded.every((d) => d.runId.startsWith('run-d1-1'))).toBe(true);
    const stores = await api<{ stores: { store: string; realised: { days: number; wape: number; inside: number } | null }[] }>('/stores');
    const realised = stores.body.stores.find((s) => s.store === 'D1')!.realised!;
    expect(realised.days).toBe(recorded.length);
    // The forecast knew the promotions and the closures: it is close on this store's regular week.
    expect(realised.wape).toBeLessThan(0.25);
    expect(realised.inside).toBeGreaterThan(0);
  });
});
