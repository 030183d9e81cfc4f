import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TableAccessRepository } from '../../../core/adapters/azure/api-access-table.js';
import { trainerSettings } from '../../../core/composition.js';
import type { Principal } from '../../../core/domain/api-access.js';
import type { ApiDeps } from '../../../core/domain/api-service.js';
import { createOverride, removeOverride, type OverrideDeps } from '../../../core/domain/override-service.js';
import { emptyStore, updateStore } from '../../../core/domain/stores.js';
import { trainAndPublishStore } from '../../../core/domain/train-and-publish.js';
import { driversForStore, formatIsoDay, readDrivers } from '../../../engine/index.js';
import { promoStore } from '../../engine/driver-fixtures.js';
import { startTestStorage, type TestStorage } from '../../support/storage.js';

/**
 * A promotion override through the real trainer on Azurite: made with the overrides service, applied by
 * trainAndPublishStore to the next run's drivers (the uplift the history teaches shows on its days), and
 * gone from the run after it is deleted.
 */

let t: TestStorage;
const clock = { now: () => new Date() };
const ADMIN: Principal = { identityProvider: 'aad', userId: 'u-bob', userDetails: 'bob@contoso.com', userRoles: ['anonymous', 'authenticated', 'admin'] };
const store = promoStore({ store: 'P', items: 3, days: 420, uplift: 3, futureDays: 40, seed: 33 });
const items = store.series.map((s) => s.item);
const first = store.lastDay + 1;

beforeAll(async () => {
  t = await startTestStorage();
  const now = new Date();
  const history = await t.storage.history.write('P', store.series);
  const { table, errors } = await readDrivers([Buffer.from(store.driversCsv)], 'promotions.csv');
  expect(errors).toEqual([]);
  const drivers = driversForStore(table, 'P', items)!;
  const driversRef = await t.storage.drivers.write('P', drivers);
  await updateStore(t.storage.stores, 'P', (cur) => ({
    ...(cur ?? emptyStore('P', now)),
    history: { blob: history.blob, version: history.version, firstDay: formatIsoDay(store.series[0]!.startDay), lastDay: formatIsoDay(store.lastDay), items: items.length, observations: 420 * items.length, updatedAt: now.toISOString() },
    drivers: { blob: driversRef.blob, version: driversRef.version, firstDay: formatIsoDay(drivers.firstDay), lastDay: formatIsoDay(drivers.lastDay), columns: drivers.columns.map((c) => c.name), updatedAt: now.toISOString() },
  }));
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

async function train(runId: string): Promise<Map<string, number[]>> {
  await trainAndPublishStore({ ...t.storage, clock }, { ...trainerSettings(t.config), backtestFolds: 1 }, { store: 'P', runId, trigger: 'manual' });
  const state = (await t.storage.stores.get('P'))!.value;
  expect(state.current!.runId).toContain(runId);
  const rows = await t.storage.forecasts.readRun('P', state.current!.runId);
  return new Map(rows.map((r) => [r.item, r.forecast.slice()]));
}

function overrideDeps(): OverrideDeps {
  const api: ApiDeps = {
    stores: t.storage.stores,
    forecasts: t.storage.forecasts,
    access: new TableAccessRepository(t.storage.clients.table(t.config.api.accessTable), 0),
    storeDrivers: (blob) => t.storage.drivers.read(blob),
    backtestFolds: 1,
    clock,
  };
  return { api, overrides: t.storage.overrides! };
}

describe('a promotion override in the trainer', () => {
  test('the next run forecasts its items higher on its days; after it is deleted the run after reverts', async () => {
    const before = await train('refresh-20261207T000000000Z-p00001');
    // Three forecast days no item is promoted on in the calendar.
    let from = first + 5;
    while ([0, 1, 2].some((k) => items.some((i) => store.promoDays.get(i)!.has(from + k)))) from++;
    expect(from + 2).toBeLessThan(first + 28);
    const days = (forecast: readonly number[]) => [0, 1, 2].reduce((sum, k) => sum + forecast[from + k - first]!, 0);

    const override = await createOverride(overrideDeps(), ADMIN, 'P', { from: formatIsoDay(from), to: formatIsoDay(from + 2), items: ['i2'], kind: 'promotion', note: 'flyer' });
    expect(override).toMatchObject({ kind: 'promotion', driver: 'promo', value: 1, items: ['i2'] });
    const promoted = await train('refresh-20261207T000000000Z-p00002');
    const ratio = days(promoted.get('i2')!) / days(before.get('i2')!);
    expect(ratio).toBeGreaterThan(2.2);
    expect(ratio).toBeLessThan(4);
    // Only i2: the other items' days stay as they were.
    expect(days(promoted.get('i1')!)).toBeCloseTo(days(before.get('i1')!), 6);
    const record = await t.storage.runs.get('refresh-20261207T000000000Z-p00002', 'P');
    expect(record?.details?.promotionOverrides).toEqual([override.id]);

    await removeOverride(overrideDeps(), ADMIN, 'P', override.id, 'cancelled');
    const after = await train('refresh-20261207T000000000Z-p00003');
    expect(days(after.get('i2')!)).toBeCloseTo(days(before.get('i2')!), 6);
  }, 120_000);
});
