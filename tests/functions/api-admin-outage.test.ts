import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { adminCommand } from '../../cli/commands/admin.js';
import { as, startApiFixture, USERS, type ApiFixture } from './harness.js';

let fx: ApiFixture;
beforeAll(async () => {
  fx = await startApiFixture({ benchStores: 0, env: { FOREACT_API_POINTER_CACHE_MS: '0' } });
});
afterAll(async () => {
  await fx?.stop();
});

test('foreact admin assign / store-region change what a planner sees', async () => {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  // The CLI's environment: the same storage account the API reads.
  const env = { AzureWebJobsStorage: fx.azurite.connectionString };
  try {
    expect(await adminCommand(['assign', '--user', 'Dan@Contoso.com', '--regions', 'south'], env)).toBe(0);
    expect(await adminCommand(['store-region', '--stores', '2', '--region', 'south'], env)).toBe(0);
    await expect(adminCommand(['assign', '--user', 'dan@contoso.com', '--regions', 'bad region!'], env)).rejects.toThrow(/invalid/);
    await expect(adminCommand(['nope'], env)).rejects.toThrow(/expected one of/);
  } finally {
    out.mockRestore();
  }
  const dan = { identityProvider: 'aad', userId: 'u-dan', userDetails: 'dan@contoso.com', userRoles: ['planner'] };
  await new Promise((r) => setTimeout(r, 5_100)); // the access cache lives 5 s
  const me = (await (await fetch(`${fx.host.url}/api/me`, { headers: as(dan) })).json()) as { regions: string[]; stores: string[] };
  expect(me).toMatchObject({ regions: ['south'], stores: ['2', '3'] });
});

test('storage outage: health 503 failing, reads 503 unavailable without a stack', async () => {
  await fx.azurite.stop();
  const h = await fetch(`${fx.host.url}/api/health`);
  expect(h.status).toBe(503);
  expect(((await h.json()) as { status: string }).status).toBe('failing');
  const s = await fetch(`${fx.host.url}/api/stores`, { headers: as(USERS.admin) });
  expect(s.status).toBe(503);
  const body = await s.text();
  expect(JSON.parse(body)).toMatchObject({ error: { code: 'unavailable' } });
  expect(body).not.toMatch(/\.ts:\d+|\.js:\d+|ECONNREFUSED/);
});
