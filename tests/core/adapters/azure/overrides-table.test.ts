import { describe, expect, test } from 'vitest';
import { TableOverrideRepository } from '../../../../core/adapters/azure/overrides-table.js';
import { encodeKey } from '../../../../core/adapters/azure/keys.js';
import { ConcurrencyConflict, NotFound, type OverrideAuditEntry } from '../../../../core/ports/index.js';
import type { Override } from '../../../../core/domain/overrides.js';
import { type TestStorage, useTestStorage } from '../../../support/storage.js';

const t = useTestStorage();
let tables = 0;

async function fresh(): Promise<{ repo: TableOverrideRepository; table: ReturnType<TestStorage['storage']['clients']['table']> }> {
  const table = t.storage.clients.table(`overridestest${++tables}`);
  await table.createTable();
  return { repo: new TableOverrideRepository(table), table };
}

const override = (o: Partial<Override> = {}): Override => ({ id: '20260301T000000000Z-aaaaaaaaaaaa', store: 's/1', from: '2026-03-02', to: '2026-03-05', kind: 'percent', value: 20, note: 'fair', by: 'ann@contoso.com', at: '2026-03-01T08:00:00.000Z', version: 1, ...o });
const entry = (id: string, action: OverrideAuditEntry['action'], before: Override | null, after: Override | null): OverrideAuditEntry => ({
  id,
  override: (before ?? after)!.id,
  action,
  at: '2026-03-01T08:00:00.000Z',
  by: 'ann@contoso.com',
  note: 'fair',
  before,
  after,
  numbers: { before: [10, 11], after: [12, 13.2], model: [10, 11], firstDate: '2026-03-02' },
  from: '2026-03-02',
  to: '2026-03-05',
});

describe('override repository (Azurite)', () => {
  test('create, edit, remove: each change lands with its audit entry; deleted overrides leave inForce, never the history', async () => {
    const { repo } = await fresh();
    const first = override();
    await repo.create(first, entry('20260301T080000000Z-000000000001', 'create', null, first));
    expect(await repo.inForce('s/1')).toEqual([first]);
    expect(await repo.get('s/1', first.id)).toEqual(first);
    const edited: Override = { ...first, items: ['7', '8'], kind: 'absolute', value: 3, version: 2 };
    await repo.edit(edited, 1, entry('20260301T080000001Z-000000000002', 'edit', first, edited));
    expect(await repo.get('s/1', first.id)).toEqual(edited);
    // A stale version loses: nothing written.
    await expect(repo.edit({ ...edited, version: 3 }, 1, entry('20260301T080000002Z-000000000003', 'edit', edited, edited))).rejects.toBeInstanceOf(ConcurrencyConflict);
    expect((await repo.history('s/1')).length).toBe(2);
    await repo.remove('s/1', first.id, 2, entry('20260301T080000003Z-000000000004', 'delete', edited, null));
    expect(await repo.inForce('s/1')).toEqual([]);
    expect(await repo.get('s/1', first.id)).toBeUndefined();
    await expect(repo.remove('s/1', first.id, 3, entry('20260301T080000004Z-000000000005', 'delete', edited, null))).rejects.toBeInstanceOf(NotFound);
    const history = await repo.history('s/1');
    expect(history.map((e) => e.action)).toEqual(['create', 'edit', 'delete']);
    expect(history[1]!.before).toEqual(first);
    expect(history[1]!.after).toEqual(edited);
    expect(history[2]!.numbers).toEqual({ before: [10, 11], after: [12, 13.2], model: [10, 11], firstDate: '2026-03-02' });
    expect(await repo.history('other')).toEqual([]);
  });

  test('an audit row is never overwritten: a change reusing an entry key fails whole (the override unchanged)', async () => {
    const { repo } = await fresh();
    const first = override();
    await repo.create(first, entry('20260301T080000000Z-00000000000a', 'create', null, first));
    const before = await repo.history('s/1');
    const edited = { ...first, value: 50, version: 2 };
    await expect(repo.edit(edited, 1, { ...entry('20260301T080000000Z-00000000000a', 'edit', first, edited), note: 'rewritten' })).rejects.toBeInstanceOf(ConcurrencyConflict);
    expect(await repo.history('s/1')).toEqual(before);
    expect(await repo.get('s/1', first.id)).toEqual(first);
    // Nor can a second override take an existing id.
    await expect(repo.create(first, entry('20260301T080000000Z-00000000000b', 'create', null, first))).rejects.toBeInstanceOf(ConcurrencyConflict);
    expect((await repo.history('s/1')).length).toBe(1);
  });

  test('rows that do not read back as overrides or entries are left out', async () => {
    const { repo, table } = await fresh();
    const pk = encodeKey('s/1');
    await table.createEntity({ partitionKey: pk, rowKey: 'o-bad1', id: 'bad1', store: 's/1', from: '2026-03-05', to: '2026-03-01', kind: 'percent', value: 5, note: 'x', by: 'a', at: '2026-03-01T00:00:00Z', version: 1 });
    await table.createEntity({ partitionKey: pk, rowKey: 'o-bad2', id: 'bad2', store: 's/1', from: '2026-03-01', to: '2026-03-02', kind: 'absolute', value: -1, note: 'x', by: 'a', at: '2026-03-01T00:00:00Z', version: 1 });
    await table.createEntity({ partitionKey: pk, rowKey: 'o-bad3', id: 'bad3', store: 's/1', from: '2026-03-01', to: '2026-03-02', kind: 'percent', value: 5, items: '[1]', note: 'x', by: 'a', at: '2026-03-01T00:00:00Z', version: 1 });
    await table.createEntity({ partitionKey: pk, rowKey: 'a-bad4', id: 'bad4', override: 'x', action: 'edit', at: 'never', by: 'a', note: '', from: '2026-03-01', to: '2026-03-02', before: 'null', after: 'null', numbers: '{}' });
    expect(await repo.inForce('s/1')).toEqual([]);
    expect(await repo.get('s/1', 'bad1')).toBeUndefined();
    expect(await repo.history('s/1')).toEqual([]);
  });

  test('a promotion round-trips with its driver; one without a driver (or with a control character in it) does not read back', async () => {
    const { repo, table } = await fresh();
    const promotion = override({ kind: 'promotion', value: 1, driver: 'promo', items: ['a'] });
    await repo.create(promotion, entry('20260301T080000000Z-000000000001', 'create', null, promotion));
    expect(await repo.inForce('s/1')).toEqual([promotion]);
    expect((await repo.history('s/1'))[0]!.after).toEqual(promotion);
    const pk = encodeKey('s/1');
    const row = { partitionKey: pk, store: 's/1', from: '2026-03-01', to: '2026-03-02', kind: 'promotion', value: 1, note: 'x', by: 'a', at: '2026-03-01T00:00:00Z', version: 1 };
    await table.createEntity({ ...row, rowKey: 'o-bad5', id: 'bad5' });
    await table.createEntity({ ...row, rowKey: 'o-bad6', id: 'bad6', driver: 'pro\u0000mo' });
    expect((await repo.inForce('s/1')).map((o) => o.id)).toEqual([promotion.id]);
  });
});
