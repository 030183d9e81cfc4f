import { odata, type TableClient } from '@azure/data-tables';
import { DEFAULT_INVITATION_PROVIDER, formatUserKey, normaliseEmail, normaliseRegion, userKeyOf, type AccessRepository, type Assignee, type UserAssignment, type UserKey } from '../../domain/api-access.js';
import { isStatus, tableOnFirstUse } from './clients.js';
import { decodeKey, encodeKey } from './keys.js';

/** Invitations by e-mail (row key = encoded lower-case e-mail); every row written before user ids is one. */
const INVITES = 'user';
/** Assignments by user id (row key = encoded provider `|` encoded user id): what a sign-in is looked up by. */
const USER_IDS = 'userid';
const STORES = 'store';
/** Attempts to claim an invitation that other writers keep changing before giving up (each loses only to a write). */
const CLAIM_ATTEMPTS = 5;

interface AccessEntity {
  partitionKey: string;
  rowKey: string;
  etag?: string;
  regions?: string;
  region?: string;
  updatedAt?: string;
  /** Invitation: whom it is bound to (set once, at that user's first sign-in with the e-mail). User row: the e-mail it came from. */
  boundProvider?: string;
  boundUserId?: string;
  boundAt?: string;
  email?: string;
  /** Invitation: the identity provider whose sign-in may claim it; absent on rows from before (= DEFAULT_INVITATION_PROVIDER). */
  provider?: string;
}

const userRowKey = (u: UserKey): string => `${encodeKey(u.identityProvider)}|${encodeKey(u.userId)}`;
const regionsOf = (e: AccessEntity): string[] => (e.regions ?? '').split(',').map(normaliseRegion).filter((r) => r.length > 0);
const regionList = (regions: readonly string[]): string => [...new Set(regions.map(normaliseRegion).filter((r) => r.length > 0))].sort().join(',');
const boundUser = (e: AccessEntity): UserKey | null => (e.boundUserId === undefined || e.boundProvider === undefined ? null : { identityProvider: e.boundProvider, userId: e.boundUserId });
const providerOf = (e: AccessEntity): string => e.provider ?? DEFAULT_INVITATION_PROVIDER;
/** `provider` on a listed invitation only when it is not the default (the usual case reads as before). */
const providerField = (e: AccessEntity): { provider?: string } => (providerOf(e) === DEFAULT_INVITATION_PROVIDER ? {} : { provider: providerOf(e) });

/**
 * Row keys an invitation for `email` may have: its normalised form, and the one rows written before NFKC
 * was part of it (trim + lower case) used, when that differs (compatibility characters in the address).
 */
function invitationKeys(email: string): string[] {
  const keys = [encodeKey(normaliseEmail(email)), encodeKey(email.trim().toLowerCase())];
  return keys[0] === keys[1] ? [keys[0]!] : keys;
}


/**
 * Table `access` (FOREACT_TABLE_ACCESS), edited by `foreact admin`:
 * - partition `userid`: row key = encoded identity provider `|` encoded user id, `regions` (comma list),
 *   and `email`/`boundAt` when the row came from an invitation. A sign-in is looked up here, by id only;
 * - partition `user`: invitations, row key = encoded e-mail (`normaliseEmail`: NFKC, lower case),
 *   `regions`, `provider` (whose sign-ins may claim it; rows without one are for `aad`); once claimed,
 *   `boundProvider`/`boundUserId`/`boundAt` name the user it went to, and the row only keeps that e-mail
 *   from being claimed again. Rows from before user ids (e-mail → regions) are unclaimed invitations;
 * - partition `store`: row key = encoded store id, `region`.
 */
export class TableAccessRepository implements AccessRepository {
  private ready: Promise<void> | undefined;
  private storeCache: { at: number; value: Promise<Map<string, string>> } | undefined;
  private readonly userCache = new Map<string, { at: number; value: Promise<string[]> }>();

  constructor(
    private readonly table: TableClient,
    private readonly cacheMs = 5_000,
  ) {}

  private ensure(): Promise<void> {
    this.ready ??= tableOnFirstUse(this.table, () => (this.ready = undefined));
    return this.ready;
  }

  private async get(partition: string, rowKey: string): Promise<AccessEntity | undefined> {
    try {
      return await this.table.getEntity<AccessEntity>(partition, rowKey);
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  /**
   * Cached per user id for `cacheMs` (5 s by default): an assignment made with `foreact admin` applies
   * within seconds. One point read by id; the invitation is read only when the id has no row.
   */
  userRegions(who: UserKey, email: string): Promise<string[]> {
    const user = userKeyOf(who);
    const key = userRowKey(user);
    const now = Date.now();
    const hit = this.userCache.get(key);
    if (hit !== undefined && now - hit.at < this.cacheMs) return hit.value;
    const value = this.readUserRegions(user, normaliseEmail(email));
    value.catch(() => this.userCache.delete(key));
    this.userCache.set(key, { at: now, value });
    if (this.userCache.size > 10_000) this.userCache.delete(this.userCache.keys().next().value!);
    return value;
  }

  private async readUserRegions(user: UserKey, email: string): Promise<string[]> {
    await this.ensure();
    const row = await this.get(USER_IDS, userRowKey(user));
    if (row !== undefined) return regionsOf(row);
    return email.length === 0 ? [] : this.claimInvitation(user, email);
  }

  /**
   * Binds the e-mail's invitation to `user`, once: an ETag-conditional write marks it claimed (of two
   * users claiming at once exactly one wins), then the user's own row gets its regions. A claim whose
   * second write never happened is finished by the same user's next sign-in.
   */
  private async claimInvitation(user: UserKey, email: string): Promise<string[]> {
    for (const rowKey of invitationKeys(email)) {
      const invite = await this.get(INVITES, rowKey);
      if (invite !== undefined) return this.claim(user, email, rowKey, invite);
    }
    return [];
  }

  private async claim(user: UserKey, email: string, rowKey: string, first: AccessEntity): Promise<string[]> {
    let invite: AccessEntity | undefined = first;
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      if (attempt > 0) invite = await this.get(INVITES, rowKey);
      if (invite === undefined) return [];
      const bound = boundUser(invite);
      if (bound !== null) return bound.identityProvider === user.identityProvider && bound.userId === user.userId ? this.createUserRow(user, regionsOf(invite), email, invite.boundAt) : [];
      // Another provider's sign-in with the same address: not this invitation's user, and it stays unclaimed.
      if (providerOf(invite) !== user.identityProvider) return [];
      const boundAt = new Date().toISOString();
      try {
        await this.table.updateEntity<AccessEntity>({ partitionKey: INVITES, rowKey, boundProvider: user.identityProvider, boundUserId: user.userId, boundAt }, 'Merge', { etag: invite.etag! });
      } catch (error) {
        if (isStatus(error, 404, 412)) continue;
        throw error;
      }
      return this.createUserRow(user, regionsOf(invite), email, boundAt);
    }
    throw new Error(`the invitation for ${email} kept changing while it was being claimed; try again`);
  }

  /** The user's row from their claimed invitation, unless one exists (an admin's assignment by id wins). */
  private async createUserRow(user: UserKey, regions: string[], email: string, boundAt: string | undefined): Promise<string[]> {
    try {
      await this.table.createEntity<AccessEntity>({ partitionKey: USER_IDS, rowKey: userRowKey(user), regions: regionList(regions), email, boundAt: boundAt ?? new Date().toISOString(), updatedAt: new Date().toISOString() });
      return [...regions];
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
      const row = await this.get(USER_IDS, userRowKey(user));
      return row === undefined ? [...regions] : regionsOf(row);
    }
  }

  async setUserRegions(assignee: Assignee, regions: readonly string[], invitationProvider = DEFAULT_INVITATION_PROVIDER): Promise<UserAssignment> {
    await this.ensure();
    this.userCache.clear();
    const list = regionList(regions);
    const written = list.length === 0 ? [] : list.split(',');
    const updatedAt = new Date().toISOString();
    if (typeof assignee !== 'string') {
      const user = userKeyOf(assignee);
      await this.table.upsertEntity<AccessEntity>({ partitionKey: USER_IDS, rowKey: userRowKey(user), regions: list, updatedAt }, 'Merge');
      const row = await this.get(USER_IDS, userRowKey(user));
      return { user, email: row?.email ?? null, regions: written, boundAt: row?.boundAt ?? null };
    }
    const email = normaliseEmail(assignee);
    const provider = invitationProvider.trim().toLowerCase();
    const rowKey = encodeKey(email);
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const invite = await this.get(INVITES, rowKey);
      const bound = invite === undefined ? null : boundUser(invite);
      try {
        if (bound !== null) {
          if (bound.identityProvider !== provider) throw new Error(`the invitation for ${email} was claimed by ${formatUserKey(bound)}, not a ${provider} user: assign that user by id, or another user by --user-id`);
          // Already claimed: the e-mail names the user it went to. Their row keeps where it came from.
          await this.table.upsertEntity<AccessEntity>({ partitionKey: USER_IDS, rowKey: userRowKey(bound), regions: list, email, boundAt: invite!.boundAt ?? updatedAt, updatedAt }, 'Merge');
          return { user: bound, email, regions: written, boundAt: invite!.boundAt ?? null };
        }
        // Conditional, so that a claim landing between the read and this write is never undone.
        const entity: AccessEntity = { partitionKey: INVITES, rowKey, regions: list, provider, updatedAt };
        if (invite === undefined) await this.table.createEntity(entity);
        else await this.table.updateEntity(entity, 'Replace', { etag: invite.etag! });
        return { user: null, email, regions: written, boundAt: null, ...providerField(entity) };
      } catch (error) {
        if (isStatus(error, 404, 409, 412)) continue;
        throw error;
      }
    }
    throw new Error(`the invitation for ${email} kept changing; try again`);
  }

  /** Cached like userRegions; concurrent requests after expiry share one listing of the partition. */
  storeRegions(): Promise<Map<string, string>> {
    const now = Date.now();
    if (this.storeCache !== undefined && now - this.storeCache.at < this.cacheMs) return this.storeCache.value;
    const value = this.readStoreRegions();
    const entry = { at: now, value };
    value.catch(() => {
      if (this.storeCache === entry) this.storeCache = undefined;
    });
    this.storeCache = entry;
    return value;
  }

  private async readStoreRegions(): Promise<Map<string, string>> {
    await this.ensure();
    const out = new Map<string, string>();
    for await (const e of this.table.listEntities<AccessEntity>({ queryOptions: { filter: odata`PartitionKey eq ${STORES}`, select: ['RowKey', 'region'] } })) {
      if (typeof e.region === 'string' && e.region.length > 0) out.set(decodeKey(e.rowKey ?? ''), e.region);
    }
    return out;
  }

  async setStoreRegion(store: string, region: string): Promise<void> {
    await this.ensure();
    this.storeCache = undefined;
    await this.table.upsertEntity<AccessEntity>({ partitionKey: STORES, rowKey: encodeKey(store), region: normaliseRegion(region), updatedAt: new Date().toISOString() }, 'Replace');
  }

  async listUsers(): Promise<UserAssignment[]> {
    await this.ensure();
    const users: UserAssignment[] = [];
    const invitations: UserAssignment[] = [];
    const known = new Set<string>();
    for await (const e of this.table.listEntities<AccessEntity>({ queryOptions: { filter: odata`PartitionKey eq ${USER_IDS}` } })) {
      const [provider = '', id = ''] = (e.rowKey ?? '').split('|');
      known.add(e.rowKey ?? '');
      users.push({ user: { identityProvider: decodeKey(provider), userId: decodeKey(id) }, email: e.email ?? null, regions: regionsOf(e), boundAt: e.boundAt ?? null });
    }
    for await (const e of this.table.listEntities<AccessEntity>({ queryOptions: { filter: odata`PartitionKey eq ${INVITES}` } })) {
      const bound = boundUser(e);
      // A claimed invitation is shown by its user's row; one whose user row is not written yet, as that user.
      if (bound !== null && known.has(userRowKey(bound))) continue;
      (bound === null ? invitations : users).push({ user: bound, email: decodeKey(e.rowKey ?? ''), regions: regionsOf(e), boundAt: e.boundAt ?? null, ...(bound === null ? providerField(e) : {}) });
    }
    return [...users, ...invitations];
  }
}
