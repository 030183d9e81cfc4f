import { describe, expect, test } from 'vitest';
import type { TableClient } from '@azure/data-tables';
import { TableAccessRepository } from '../../../../core/adapters/azure/api-access-table.js';
import type { UserKey } from '../../../../core/domain/api-access.js';
import { useTestStorage } from '../../../support/storage.js';

/**
 * Issue 13, hole 8: regions were looked up by the e-mail, which can change or pass to another person who
 * then inherited the regions. Now a sign-in is looked up by its stable user id; an e-mail is only an
 * invitation that the first sign-in with it claims for good.
 */
const t = useTestStorage();
let tables = 0;

interface Counted {
  table: TableClient;
  reads: { get: string[]; list: number };
}

/** A fresh table, with the point reads (partition) and listings made through it counted. */
function freshTable(): Counted {
  const table = t.storage.clients.table(`accesstest${++tables}`);
  const reads = { get: [] as string[], list: 0 };
  const counted = new Proxy(table, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (name === 'getEntity') reads.get.push(String(args[0]));
        if (name === 'listEntities') reads.list++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { table: counted, reads };
}

const pat: UserKey = { identityProvider: 'aad', userId: 'u-pat' };
const mallory: UserKey = { identityProvider: 'aad', userId: 'u-mallory' };

describe('regions by user id, e-mail as an invitation', () => {
  test('an invitation binds to the first sign-in; after that only the id counts (a changed e-mail keeps the regions)', async () => {
    const access = new TableAccessRepository(freshTable().table, 0);
    expect(await access.setUserRegions('Pat@Contoso.com', ['North', 'south'])).toEqual({ user: null, email: 'pat@contoso.com', regions: ['north', 'south'], boundAt: null });
    expect(await access.listUsers()).toEqual([{ user: null, email: 'pat@contoso.com', regions: ['north', 'south'], boundAt: null }]);

    expect(await access.userRegions(pat, ' PAT@contoso.com ')).toEqual(['north', 'south']);
    const [bound] = await access.listUsers();
    expect(bound).toMatchObject({ user: pat, email: 'pat@contoso.com', regions: ['north', 'south'] });
    expect(bound!.boundAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await access.listUsers()).toHaveLength(1);

    // Pat's e-mail changes: still Pat's regions.
    expect(await access.userRegions(pat, 'patricia@contoso.com')).toEqual(['north', 'south']);
    expect(await access.userRegions(pat, '')).toEqual(['north', 'south']);
  });

  test('someone else signing in later with an e-mail already claimed gets nothing', async () => {
    const access = new TableAccessRepository(freshTable().table, 0);
    await access.setUserRegions('pat@contoso.com', ['north']);
    expect(await access.userRegions(pat, 'pat@contoso.com')).toEqual(['north']);
    expect(await access.userRegions(mallory, 'pat@contoso.com')).toEqual([]);
    // The same id from another provider is another user.
    expect(await access.userRegions({ identityProvider: 'github', userId: 'u-pat' }, 'pat@contoso.com')).toEqual([]);
    expect(await access.userRegions(pat, 'pat@contoso.com')).toEqual(['north']);
  });

  test('two users claiming one invitation at once: exactly one gets it; one user signing in many times at once: every request does', async () => {
    const access = new TableAccessRepository(freshTable().table, 0);
    await access.setUserRegions('shared@contoso.com', ['north']);
    const users = Array.from({ length: 6 }, (_, i): UserKey => ({ identityProvider: 'aad', userId: `u-race-${i}` }));
    const answers = await Promise.all(users.map((u) => access.userRegions(u, 'shared@contoso.com')));
    expect(answers.filter((a) => a.length > 0)).toEqual([['north']]);
    const winner = users[answers.findIndex((a) => a.length > 0)]!;
    expect((await access.listUsers()).map((a) => a.user)).toEqual([winner]);

    await access.setUserRegions('ann@contoso.com', ['south']);
    const ann: UserKey = { identityProvider: 'aad', userId: 'u-ann' };
    expect(await Promise.all(Array.from({ length: 8 }, () => access.userRegions(ann, 'ann@contoso.com')))).toEqual(Array.from({ length: 8 }, () => ['south']));
  });

  test('assignments stored by e-mail before user ids keep working: they are invitations (no data lost)', async () => {
    const { table } = freshTable();
    await table.createTable();
    // What the table held before: partition `user`, row = encoded lower-case e-mail.
    await table.createEntity({ partitionKey: 'user', rowKey: 'old.timer~40contoso.com', regions: 'north,east', updatedAt: '2025-01-01T00:00:00.000Z' });
    const access = new TableAccessRepository(table, 0);
    expect(await access.listUsers()).toEqual([{ user: null, email: 'old.timer@contoso.com', regions: ['north', 'east'], boundAt: null }]);
    const oldTimer: UserKey = { identityProvider: 'aad', userId: 'u-old' };
    expect(await access.userRegions(oldTimer, 'Old.Timer@contoso.com')).toEqual(['north', 'east']);
    expect(await access.userRegions(mallory, 'old.timer@contoso.com')).toEqual([]);
    expect((await access.listUsers())[0]).toMatchObject({ user: oldTimer, email: 'old.timer@contoso.com' });
  });

  test('a bound user is found with one point read by id; the invitation is read only when the id has no row; no listing', async () => {
    const { table, reads } = freshTable();
    const access = new TableAccessRepository(table, 0);
    await access.setUserRegions('pat@contoso.com', ['north']);
    reads.get.length = 0;
    await access.userRegions(pat, 'pat@contoso.com');
    expect(reads.get).toEqual(['userid', 'user']);
    reads.get.length = 0;
    for (let i = 0; i < 3; i++) expect(await access.userRegions(pat, 'pat@contoso.com')).toEqual(['north']);
    expect(reads.get).toEqual(['userid', 'userid', 'userid']);
    expect(reads.list).toBe(0);
    // Cached (5 s by default): repeated sign-ins within that window read nothing.
    const cached = new TableAccessRepository(table);
    await cached.userRegions(pat, 'pat@contoso.com');
    reads.get.length = 0;
    await cached.userRegions(pat, 'pat@contoso.com');
    expect(reads.get).toEqual([]);
  });

  test('assigning by id; by e-mail once bound, the bound user is changed; an id assignment wins over an invitation', async () => {
    const access = new TableAccessRepository(freshTable().table, 0);
    const sam: UserKey = { identityProvider: 'AAD', userId: 'u-sam' };
    expect(await access.setUserRegions(sam, ['south'])).toEqual({ user: { identityProvider: 'aad', userId: 'u-sam' }, email: null, regions: ['south'], boundAt: null });
    expect(await access.userRegions({ identityProvider: 'aad', userId: 'u-sam' }, 'sam@contoso.com')).toEqual(['south']);

    // An invitation for an e-mail whose user already has a row is not claimed by that user.
    await access.setUserRegions('sam@contoso.com', ['east']);
    expect(await access.userRegions({ identityProvider: 'aad', userId: 'u-sam' }, 'sam@contoso.com')).toEqual(['south']);

    await access.setUserRegions('pat@contoso.com', ['north']);
    await access.userRegions(pat, 'pat@contoso.com');
    const changed = await access.setUserRegions('pat@contoso.com', ['north', 'west']);
    expect(changed).toMatchObject({ user: pat, email: 'pat@contoso.com', regions: ['north', 'west'] });
    expect(await access.userRegions(pat, 'patricia@contoso.com')).toEqual(['north', 'west']);
    expect(await access.userRegions(mallory, 'pat@contoso.com')).toEqual([]);
    // Taking a user's regions away: an empty list by id.
    await access.setUserRegions(pat, []);
    expect(await access.userRegions(pat, 'pat@contoso.com')).toEqual([]);

    const list = await access.listUsers();
    expect(list.filter((a) => a.user !== null).map((a) => [a.user!.userId, a.email, a.regions])).toEqual(
      expect.arrayContaining([
        ['u-sam', null, ['south']],
        ['u-pat', 'pat@contoso.com', []],
      ]),
    );
    expect(list.filter((a) => a.user === null)).toEqual([{ user: null, email: 'sam@contoso.com', regions: ['east'], boundAt: null }]);
  });

  test('a claim that stopped before the user row was written is finished by that user only', async () => {
    const { table } = freshTable();
    await table.createTable();
    await table.createEntity({ partitionKey: 'user', rowKey: 'pat~40contoso.com', regions: 'north', boundProvider: 'aad', boundUserId: 'u-pat', boundAt: '2025-02-03T04:05:06.000Z' });
    const access = new TableAccessRepository(table, 0);
    expect(await access.listUsers()).toEqual([{ user: pat, email: 'pat@contoso.com', regions: ['north'], boundAt: '2025-02-03T04:05:06.000Z' }]);
    expect(await access.userRegions(mallory, 'pat@contoso.com')).toEqual([]);
    expect(await access.userRegions(pat, 'pat@contoso.com')).toEqual(['north']);
    expect(await access.listUsers()).toEqual([{ user: pat, email: 'pat@contoso.com', regions: ['north'], boundAt: '2025-02-03T04:05:06.000Z' }]);
  });
});

// Issue 18, item 14: invitations matched the mutable userDetails with toLowerCase and ignored the provider.
describe('invitations are bound to an identity provider and compare NFKC-folded addresses', () => {
  const ada: UserKey = { identityProvider: 'aad', userId: 'u-ada' };

  test('an invitation for aad is not claimed by a github sign-in with the same address, and stays claimable', async () => {
    const access = new TableAccessRepository(freshTable().table, 0);
    expect(await access.setUserRegions('ada@example.com', ['north'])).toEqual({ user: null, email: 'ada@example.com', regions: ['north'], boundAt: null });
    expect(await access.userRegions({ identityProvider: 'github', userId: 'gh-ada' }, 'ada@example.com')).toEqual([]);
    expect(await access.userRegions({ identityProvider: 'GitHub', userId: 'gh-ada2' }, 'ADA@example.com')).toEqual([]);
    expect(await access.userRegions(ada, 'ada@example.com')).toEqual(['north']);
    // An invitation for github: only a github sign-in claims it.
    expect(await access.setUserRegions('bo@example.com', ['south'], 'github')).toEqual({ user: null, email: 'bo@example.com', regions: ['south'], boundAt: null, provider: 'github' });
    expect(await access.userRegions({ identityProvider: 'aad', userId: 'u-bo' }, 'bo@example.com')).toEqual([]);
    expect(await access.userRegions({ identityProvider: 'github', userId: 'gh-bo' }, 'bo@example.com')).toEqual(['south']);
  });

  test('fullwidth Ａda@Example.com and ada@example.com are one address, both ways', async () => {
    const access = new TableAccessRepository(freshTable().table, 0);
    await access.setUserRegions('ada@example.com', ['north']);
    expect(await access.userRegions(ada, 'Ａda@Example.com')).toEqual(['north']);
    expect(await access.setUserRegions('Ｃｙ@Ｅxample.com', ['east'])).toMatchObject({ email: 'cy@example.com' });
    expect(await access.userRegions({ identityProvider: 'aad', userId: 'u-cy' }, 'cy@example.com')).toEqual(['east']);
  });

  test('an invitation row from before providers (no provider column) is for aad, the only provider the dashboard enables', async () => {
    const { table } = freshTable();
    await table.createTable();
    await table.createEntity({ partitionKey: 'user', rowKey: 'dee~40example.com', regions: 'west', updatedAt: '2025-01-01T00:00:00.000Z' });
    const access = new TableAccessRepository(table, 0);
    expect(await access.userRegions({ identityProvider: 'github', userId: 'gh-dee' }, 'dee@example.com')).toEqual([]);
    expect(await access.userRegions({ identityProvider: 'aad', userId: 'u-dee' }, 'dee@example.com')).toEqual(['west']);
  });
});
