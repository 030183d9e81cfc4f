// @vitest-environment jsdom
/** The transport view's service level and unit: the API is asked again, values, calibration, limits, unconverted items. */
import { afterEach, describe, expect, it } from 'vitest';
import { allByTestId, byTestId, defaultApi, flush, mount } from './mount';

afterEach(() => document.body.replaceChildren());

function choose(select: HTMLElement, value: string): void {
  (select as HTMLSelectElement).value = value;
  select.dispatchEvent(new Event('change'));
}

const values = (root: HTMLElement): string[] => [...byTestId(root, 'transport-table').querySelectorAll<HTMLElement>('tbody td.heat')].map((td) => td.dataset.value ?? '');

describe('transport at a service level and in a unit', () => {
  it("shows the API's notices above the table, whatever the unit, and drops them when the next answer has none", async () => {
    const api = defaultApi();
    const notice = 'The item master could not be read: item master items/master.json: bad JSON; pack sizes are ignored until it is uploaded again';
    api.transportNotices = [notice];
    const { root } = await mount({ api, search: '?stores=1,2&days=7&view=transport' });
    expect(allByTestId(root, 'transport-notice').map((p) => p.textContent)).toEqual([notice]);
    api.transportNotices = [];
    choose(byTestId(root, 'unit-select'), 'pallets');
    await flush();
    expect(root.querySelector('[data-testid="transport-notice"]')).toBeNull();
  });

  it('switches to p90 pallets: asks the API with those parameters, shows its values, the region total, calibration, limits and unconverted items', async () => {
    const { root, api, pushed } = await mount({ search: '?stores=1,2&days=7&view=transport' });
    expect(api.calls).toContain('transport 1,2 p50 units');
    const before = values(root);
    expect(root.querySelector('[data-testid="unconverted"]')).toBeNull();

    choose(byTestId(root, 'level-select'), 'p90');
    await flush();
    expect(api.calls.at(-1)).toBe('transport 1,2 p90 units');
    choose(byTestId(root, 'unit-select'), 'pallets');
    await flush();
    expect(api.calls.at(-1)).toBe('transport 1,2 p90 pallets');
    expect(pushed.at(-1)).toBe('/?stores=1,2&days=7&view=transport&level=p90&unit=pallets');
    // Only the transport numbers are read again.
    expect(api.calls.filter((c) => c.startsWith('forecasts'))).toHaveLength(1);

    const after = values(root);
    expect(after).toHaveLength(before.length);
    expect(after).not.toEqual(before);
    // Units × 1.25 / 480 (the fixture's p90 factor and pallet size).
    expect(Number(after[0])).toBeCloseTo(Math.round(((Number(before[0]) * 1.25) / 480) * 10) / 10, 5);

    const calibration = byTestId(root, 'calibration');
    expect(calibration.querySelector('.calibration-chosen')?.getAttribute('data-level')).toBe('p90');
    expect(calibration.textContent).toContain('91 %');
    expect(byTestId(calibration, 'calibration-source').textContent).toBe('from actual sales of 84 past store-days');
    expect(byTestId(root, 'unconverted-items').textContent).toBe('3');
    expect(byTestId(root, 'unconverted').textContent).toContain('not in the pallets below but counted in units');
    const withUnconverted = byTestId(root, 'transport-table').querySelector<HTMLElement>('tbody td.heat')!;
    expect(withUnconverted.title).toMatch(/plus [\d.,]+ units of items without pack sizes \(not in the pallets\)/);
    const over = byTestId(root, 'transport-table').querySelectorAll<HTMLElement>('td.over-limit');
    expect([...over].map((td) => td.dataset.date)).toEqual(['2017-07-01', '2017-07-01']);
    expect(over[0]!.textContent).toContain('▲');
    expect(over[0]!.title).toContain('above the store’s receiving limit');
  });

  it('says which store has no value in trucks and why, and leaves it out of the region total', async () => {
    const api = defaultApi();
    api.noTrucks = ['2'];
    const { root } = await mount({ api, search: '?stores=1,2&days=7&view=transport&level=p90&unit=trucks' });
    const row = byTestId(root, 'transport-table').querySelector<HTMLElement>('tbody tr[data-store="2"]')!;
    expect(byTestId(row, 'transport-row-reason').textContent).toBe('No trucks: no truck capacity in the store file');
    expect(row.querySelectorAll('td.heat')).toHaveLength(0);
    expect(row.querySelector<HTMLElement>('td.none')!.title).toContain('no trucks: no truck capacity in the store file');
    expect(byTestId(root, 'transport-excluded').textContent).toBe('without Harbour (2)');
  });

  it('reads the level and unit from the address and takes the region total from the API, not the sum of the stores', async () => {
    const { root, api } = await mount({ search: '?stores=1,2&days=7&view=transport&level=p95&unit=cases' });
    expect(api.calls).toContain('transport 1,2 p95 cases');
    expect((byTestId(root, 'level-select') as HTMLSelectElement).value).toBe('p95');
    expect((byTestId(root, 'unit-select') as HTMLSelectElement).value).toBe('cases');
    const response = await api.transport({ stores: ['1', '2'], from: '2017-07-01', to: '2017-07-07', level: 'p95', unit: 'cases' });
    const footer = [...byTestId(root, 'transport-table').querySelectorAll<HTMLElement>('tfoot td')].slice(0, 7).map((td) => td.textContent);
    expect(footer).toEqual(response.totals!.value!.map((v) => new Intl.NumberFormat('en-US', { maximumFractionDigits: Math.abs(v) >= 10 ? 0 : 1 }).format(v)));
    expect(allByTestId(root, 'calibration')).toHaveLength(1);
  });
});
