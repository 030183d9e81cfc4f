import { buildDeps } from '../../core/composition.js';
import { loadConfig } from '../../core/config.js';
import { normaliseRegion, type AccessRepository } from '../../core/domain/api-access.js';
import { ID_PATTERN } from '../../core/domain/ids.js';
import { deleteHistoryRange } from '../../core/domain/ingestion.js';
import { formatIsoDay, parseIsoDay } from '../../engine/index.js';
import { UsageError, parseArgs, requireFlag } from '../args.js';

export const ADMIN_USAGE = 'admin assign --user <email> --regions north,south | admin store-region --stores 1,2 --region north | admin list | admin delete-history --store <id> --from <YYYY-MM-DD> --to <YYYY-MM-DD>';

const REGION = /^[a-z0-9][a-z0-9_-]{0,99}$/;

function regionList(text: string): string[] {
  const regions = text.split(',').map(normaliseRegion).filter((r) => r.length > 0);
  const bad = regions.find((r) => !REGION.test(r));
  if (bad !== undefined) throw new UsageError(`region "${bad}" is invalid: use lowercase letters, digits, "_" or "-"`);
  return regions;
}

async function openAccess(env: NodeJS.ProcessEnv): Promise<AccessRepository> {
  return (await buildDeps(loadConfig(env))).access;
}

/**
 * `foreact admin`: who may see which stores. Planners see the stores of their regions; the assignment and
 * each store's region live in the `access` table of the configured storage (AzureWebJobsStorage).
 */
export async function adminCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'delete-history') return deleteHistory(rest, env);
  if (sub !== 'assign' && sub !== 'store-region' && sub !== 'list') throw new UsageError(`expected one of: ${ADMIN_USAGE}`);
  const access = await openAccess(env);
  if (sub === 'assign') {
    const args = parseArgs(rest, ['user', 'regions']);
    const user = requireFlag(args, 'user').trim().toLowerCase();
    if (!/^[^\s@]+@[^\s@]+$/.test(user) && !/^[A-Za-z0-9._-]{1,200}$/.test(user)) throw new UsageError(`--user must be the e-mail the user signs in with, got "${user}"`);
    const regions = regionList(requireFlag(args, 'regions'));
    await access.setUserRegions(user, regions);
    process.stdout.write(`${user}: ${regions.length === 0 ? '(no regions)' : regions.join(', ')}\n`);
    return 0;
  }
  if (sub === 'store-region') {
    const args = parseArgs(rest, ['stores', 'store', 'region']);
    const stores = (args.flags.get('stores') ?? requireFlag(args, 'store')).split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    const bad = stores.find((s) => !ID_PATTERN.test(s));
    if (stores.length === 0 || bad !== undefined) throw new UsageError(`--stores must list store ids${bad ? `; "${bad}" is invalid` : ''}`);
    const [region] = regionList(requireFlag(args, 'region'));
    if (region === undefined) throw new UsageError('--region is required');
    for (const s of stores) await access.setStoreRegion(s, region);
    process.stdout.write(`${stores.join(', ')} → ${region}\n`);
    return 0;
  }
  if (sub === 'list') {
    parseArgs(rest, []);
    for (const u of await access.listUsers()) process.stdout.write(`user  ${u.user}: ${u.regions.join(', ')}\n`);
    for (const [s, r] of await access.storeRegions()) process.stdout.write(`store ${s}: ${r}\n`);
    return 0;
  }
  throw new UsageError(`expected one of: ${ADMIN_USAGE}`);
}

/**
 * `foreact admin delete-history --store <id> --from <day> --to <day>`: removes a store's sales in a date
 * range (both days included), e.g. a mistyped year. Writes a new history version without those days,
 * switches the store's pointer and marks the store stale (its next run trains on the corrected history).
 */
async function deleteHistory(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = parseArgs(argv, ['store', 'from', 'to']);
  const store = requireFlag(args, 'store').trim();
  if (!ID_PATTERN.test(store)) throw new UsageError(`--store "${store.slice(0, 64)}" is not a store id`);
  const day = (flag: string): number => {
    const text = requireFlag(args, flag).trim();
    const parsed = parseIsoDay(text);
    if (parsed === undefined) throw new UsageError(`--${flag} must be a date (YYYY-MM-DD), got "${text.slice(0, 20)}"`);
    return parsed;
  };
  const from = day('from');
  const to = day('to');
  if (to < from) throw new UsageError(`--to (${formatIsoDay(to)}) is before --from (${formatIsoDay(from)})`);
  const { storage } = await buildDeps(loadConfig(env));
  try {
    const result = await deleteHistoryRange(storage, store, from, to, new Date());
    process.stdout.write(result.removed === 0 ? `${store}: no sales from ${formatIsoDay(from)} to ${formatIsoDay(to)}; nothing changed\n` : `${store}: deleted ${result.removed} observation(s) from ${formatIsoDay(from)} to ${formatIsoDay(to)}; history ${result.version ?? '(now empty)'}; the store is marked stale\n`);
    return 0;
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}
