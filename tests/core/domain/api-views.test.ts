import { describe, expect, it } from 'vitest';
import { driversForStore, overlayStoreDrivers, parseIsoDay, readDrivers } from '../../../engine/index.js';
import { driverMarkers } from '../../../core/domain/api-views.js';

const day = (iso: string): number => parseIsoDay(iso)!;

async function storeDrivers(csv: string, items: string[]): Promise<ReturnType<typeof driversForStore>> {
  const { table, errors } = await readDrivers([Buffer.from(csv)], 'd.csv');
  expect(errors).toEqual([]);
  return driversForStore(table, '1', items);
}

describe('driverMarkers: what a planner sees on each day', () => {
  it('lists closed days, promotions with their items and events by name', async () => {
    const csv = [
      'date,store,item,promo,open,holiday',
      '2024-01-01,1,,0,0,New Year',
      '2024-01-02,1,a,1,1,',
      '2024-01-02,1,b,1,1,',
      '2024-01-03,1,a,0,1,',
      '2024-01-03,1,b,0,1,',
      '2024-01-04,1,a,0,1,Epiphany',
    ].join('\n');
    const drivers = (await storeDrivers(csv, ['a', 'b']))!;
    expect(driverMarkers(drivers, day('2024-01-01'), day('2024-01-04'))).toEqual([
      { date: '2024-01-01', kind: 'closed', label: 'closed' },
      { date: '2024-01-01', kind: 'event', label: 'New Year' },
      { date: '2024-01-02', kind: 'promotion', label: 'promo', items: ['a', 'b'] },
      { date: '2024-01-04', kind: 'event', label: 'Epiphany', items: ['a'] },
    ]);
  });

  it('never shows a price, numeric or text, as a promotion or an event', async () => {
    const csv = ['date,store,item,promo,price,price_band', '2024-01-01,1,a,0,2.0,', '2024-01-02,1,a,1,3.5,high', '2024-01-03,1,a,0,2.0,'].join('\n');
    const drivers = (await storeDrivers(csv, ['a']))!;
    expect(driverMarkers(drivers, day('2024-01-01'), day('2024-01-03'))).toEqual([{ date: '2024-01-02', kind: 'promotion', label: 'promo', items: ['a'] }]);
  });

  it('shows the events of a newer upload overlaid on the stored drivers', async () => {
    const stored = (await storeDrivers('date,store,item,promo,event\n2024-01-01,1,a,0,\n2024-01-02,1,a,1,Fair\n2024-01-03,1,a,0,\n', ['a']))!;
    const update = (await storeDrivers('date,store,item,promo,event\n2024-01-03,1,a,1,Sale\n2024-01-04,1,a,1,Fair\n', ['a']))!;
    const merged = overlayStoreDrivers(stored, update);
    expect(driverMarkers(merged, day('2024-01-01'), day('2024-01-04')).filter((m) => m.kind === 'event').map((m) => `${m.date} ${m.label}`)).toEqual(['2024-01-02 Fair', '2024-01-03 Sale', '2024-01-04 Fair']);
  });
});
