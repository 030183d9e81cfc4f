import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { UsageError } from '../../cli/args.js';
import { adminCommand } from '../../cli/commands/admin.js';
import { TableAccessRepository } from '../../core/adapters/azure/api-access-table.js';
import { startTestStorage, type TestStorage } from '../support/storage.js';

/**
 * Issue 13, hole 8: `foreact admin assign` names a user by id (`--user-id`, shown on the dashboard and by
 * GET /api/me) or invites an e-mail (`--user`), which the first sign-in with it claims for good.
 */
let t: TestStorage;
let access: TableAccessRepository;
beforeAll(async () => {
  t = await startTestStorage();
  access = new TableAccessRepository(t.storage.clients.table(t.config.api.accessTable), 0);
});
afterAll(async () => {
  await t?.stop();
});

async function admin(...args: string[]): Promise<string> {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    expect(await adminCommand(args, t.env)).toBe(0);
    return out.mock.calls.map((c) => String(c[0])).join('');
  } finally {
    out.mockRestore();
  }
}

describe('foreact admin assign and list', () => {
  test('by e-mail: an invitation until the first sign-in, then the user it went to', async () => {
    expect(await admin('assign', '--user', 'Kim@Contoso.com', '--regions', 'north,South')).toBe('kim@contoso.com: north, south (invitation: the first user who signs in with this e-mail gets these regions)\n');
    expect(await admin('list')).toContain('invite kim@contoso.com: north, south (invitation');
    expect(await access.userRegions({ identityProvider: 'aad', userId: 'u-kim' }, 'kim@contoso.com')).toEqual(['north', 'south']);
    const day = new Date().toISOString().slice(0, 10);
    // Assigning by that e-mail again changes the user it is bound to.
    expect(await admin('assign', '--user', 'kim@contoso.com', '--regions', 'east')).toBe(`aad/u-kim (invited as kim@contoso.com, first signed in ${day}): east\n`);
    expect(await access.userRegions({ identityProvider: 'aad', userId: 'u-kim' }, 'kim.new@contoso.com')).toEqual(['east']);
    expect(await admin('list')).toContain(`user   aad/u-kim (invited as kim@contoso.com, first signed in ${day}): east\n`);
  });

  test('by user id (provider aad unless told), and taking regions away', async () => {
    expect(await admin('assign', '--user-id', '8f3c0a9e', '--regions', 'north')).toBe('aad/8f3c0a9e: north\n');
    expect(await access.userRegions({ identityProvider: 'aad', userId: '8f3c0a9e' }, 'whoever@contoso.com')).toEqual(['north']);
    expect(await admin('assign', '--user-id', 'octo', '--provider', 'GitHub', '--regions', 'south')).toBe('github/octo: south\n');
    expect(await access.userRegions({ identityProvider: 'github', userId: 'octo' }, '')).toEqual(['south']);
    expect(await admin('assign', '--user-id', '8f3c0a9e', '--regions', '')).toBe('aad/8f3c0a9e: (no regions)\n');
    expect(await access.userRegions({ identityProvider: 'aad', userId: '8f3c0a9e' }, '')).toEqual([]);
  });

  test('exactly one of --user and --user-id; --provider names a provider', async () => {
    await expect(adminCommand(['assign', '--regions', 'north'], t.env)).rejects.toThrow(UsageError);
    await expect(adminCommand(['assign', '--user', 'a@b.c', '--user-id', 'x', '--regions', 'north'], t.env)).rejects.toThrow(/either --user-id/);
    await expect(adminCommand(['assign', '--user', 'a@b.c', '--provider', 'not a provider', '--regions', 'north'], t.env)).rejects.toThrow(/--provider must be an identity provider name/);
    await expect(adminCommand(['assign', '--user-id', 'a b', '--regions', 'north'], t.env)).rejects.toThrow(/--user-id must be/);
  });

  // Issue 18, item 14: an invitation is for one identity provider (aad unless told), and addresses are
  // compared after NFKC and lower-casing.
  test('an invitation is for its provider: aad by default, so a github sign-in with the same address does not claim it', async () => {
    expect(await admin('assign', '--user', 'Lee@Contoso.com', '--regions', 'north')).toBe('lee@contoso.com: north (invitation: the first user who signs in with this e-mail gets these regions)\n');
    expect(await access.userRegions({ identityProvider: 'github', userId: 'gh-lee' }, 'lee@contoso.com')).toEqual([]);
    expect(await access.userRegions({ identityProvider: 'aad', userId: 'u-lee' }, 'lee@contoso.com')).toEqual(['north']);
    expect(await admin('assign', '--user', 'Ｒay@Contoso.com', '--provider', 'GitHub', '--regions', 'south')).toBe('ray@contoso.com: south (invitation: the first github user who signs in with this e-mail gets these regions)\n');
    expect(await admin('list')).toContain('invite ray@contoso.com: south (invitation: the first github user');
    expect(await access.userRegions({ identityProvider: 'aad', userId: 'u-ray' }, 'ray@contoso.com')).toEqual([]);
    expect(await access.userRegions({ identityProvider: 'github', userId: 'gh-ray' }, 'RAY@contoso.com')).toEqual(['south']);
  });
});
