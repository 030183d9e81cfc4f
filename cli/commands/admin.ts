import { createRuntime } from '../../core/runtime.js';
import { loadConfig } from '../../core/config.js';
import { DEFAULT_INVITATION_PROVIDER, formatUserKey, normaliseEmail, normaliseRegion, type AccessRepository, type Assignee, type UserAssignment } from '../../core/domain/api-access.js';
import { ID_PATTERN } from '../../core/domain/ids.js';
import { deleteHistoryRange } from '../../core/domain/ingestion.js';
import { formatIsoDay, parseIsoDay } from '../../engine/index.js';
import { UsageError, parseArgs, requireFlag } from '../args.js';
import { ADMIN_USAGE } from '../usage.js';

const REGION = /^[a-z0-9][a-z0-9_-]{0,99}$/;

function regionList(text: string): string[] {
  const regions = text.split(',').map(normaliseRegion).filter((r) => r.length > 0);
  const bad = regions.find((r) => !REGION.test(r));
  if (bad !== undefined) throw new UsageError(`region "${bad}" is invalid: use lowercase letters, digits, "_" or "-"`);
  return regions;
}

async function openAccess(env: NodeJS.ProcessEnv): Promise<AccessRepository> {
  return (await createRuntime(loadConfig(env)).deps()).access;
}

/**
 * Whom `assign` names, and through which identity provider (`--provider`, default `aad`). `--user-id`: the
 * user id a planner sees on the dashboard and in `GET /api/me`, which never changes. `--user`: an e-mail, as
 * an invitation that the first sign-in with it through that provider claims for good (compared after NFKC
 * and lower-casing); a sign-in with the same address through another provider, or a later owner of the
 * e-mail, gets nothing from it.
 */
function assigneeOf(flags: ReadonlyMap<string, string>): { assignee: Assignee; provider: string } {
  const id = flags.get('user-id')?.trim();
  const email = flags.has('user') ? normaliseEmail(flags.get('user')!) : undefined;
  if ((id === undefined) === (email === undefined)) throw new UsageError('give either --user-id <id> (shown to the user on the dashboard and by GET /api/me) or --user <email> (an invitation)');
  const provider = (flags.get('provider') ?? DEFAULT_INVITATION_PROVIDER).trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(provider)) throw new UsageError(`--provider must be an identity provider name such as aad, got "${provider.slice(0, 64)}"`);
  if (id !== undefined) {
    if (!/^[A-Za-z0-9._-]{1,200}$/.test(id)) throw new UsageError(`--user-id must be the user id shown on the dashboard, got "${id.slice(0, 64)}"`);
    return { assignee: { identityProvider: provider, userId: id }, provider };
  }
  if (!/^[^\s@]+@[^\s@]+$/u.test(email!) && !/^[A-Za-z0-9._-]{1,200}$/.test(email!)) throw new UsageError(`--user must be the e-mail the user signs in with, got "${email!.slice(0, 64)}"`);
  return { assignee: email!, provider };
}

function describeAssignment(a: UserAssignment): string {
  const regions = a.regions.length === 0 ? '(no regions)' : a.regions.join(', ');
  if (a.user === null) return `${a.email ?? ''}: ${regions} (invitation: the first ${a.provider === undefined ? '' : `${a.provider} `}user who signs in with this e-mail gets these regions)`;
  const origin = a.email === null ? '' : ` (invited as ${a.email}${a.boundAt === null ? '' : `, first signed in ${a.boundAt.slice(0, 10)}`})`;
  return `${formatUserKey(a.user)}${origin}: ${regions}`;
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
    const args = parseArgs(rest, ['user', 'user-id', 'provider', 'regions']);
    const { assignee, provider } = assigneeOf(args.flags);
    const regions = regionList(requireFlag(args, 'regions'));
    process.stdout.write(`${describeAssignment(await access.setUserRegions(assignee, regions, provider))}\n`);
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
    for (const u of await access.listUsers()) process.stdout.write(`${u.user === null ? 'invite' : 'user  '} ${describeAssignment(u)}\n`);
    for (const [s, r] of await access.storeRegions()) process.stdout.write(`store  ${s}: ${r}\n`);
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
  const { storage } = await createRuntime(loadConfig(env)).deps();
  try {
    const result = await deleteHistoryRange(storage, store, from, to, new Date());
    process.stdout.write(result.removed === 0 ? `${store}: no sales from ${formatIsoDay(from)} to ${formatIsoDay(to)}; nothing changed\n` : `${store}: deleted ${result.removed} observation(s) from ${formatIsoDay(from)} to ${formatIsoDay(to)}; history ${result.version ?? '(now empty)'}; the store is marked stale\n`);
    return 0;
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}
