import { DomainError } from './errors.js';

/** The signed-in user as Static Web Apps forwards it (`x-ms-client-principal`, base64 JSON). */
export interface Principal {
  identityProvider: string;
  userId: string;
  userDetails: string;
  userRoles: string[];
}

/**
 * `operator`: an app-only caller on the FOREACT_TRUSTED_APP_IDS list (the deploy identity's smoke test and
 * deploy gate) — its own stores (FOREACT_OPERATOR_STORES) only, any run's status, check runs; nothing else.
 */
export type Role = 'planner' | 'admin' | 'operator';

/** The identity provider the HTTP layer gives an accepted app-only caller; no user principal carries it. */
export const APP_PROVIDER = 'aad-app';

/**
 * A user as their identity provider knows them. Static Web Apps' `userId` is stable for a person (unlike
 * the e-mail in `userDetails`, which can change or pass to someone else) and unique per provider, hence both.
 */
export interface UserKey {
  identityProvider: string;
  userId: string;
}

/**
 * The provider an invitation is for when none is named: `aad`, the only one the dashboard's Static Web App
 * enables (static-web/staticwebapp.config.json: /login → aad; github and twitter answer 404). Invitation
 * rows written before invitations had a provider are for it.
 */
export const DEFAULT_INVITATION_PROVIDER = 'aad';

/** Whom an assignment names: a user by id, or an e-mail (an invitation; see AccessRepository.setUserRegions). */
export type Assignee = UserKey | string;

/** One planner's assignment, as `foreact admin` shows it. */
export interface UserAssignment {
  /** The user it applies to; null for an invitation nobody has signed in with yet. */
  user: UserKey | null;
  /** The e-mail it was invited as; null when assigned by id. */
  email: string | null;
  regions: string[];
  /** When the invitation was bound to `user` (their first sign-in with that e-mail). */
  boundAt: string | null;
  /** The provider an invitation is for, when it is not DEFAULT_INVITATION_PROVIDER. */
  provider?: string;
}

/** Where planners' region assignments and stores' regions live (a table; see core/adapters/azure/api-access-table.ts). */
export interface AccessRepository {
  /**
   * Regions of a signed-in user, decided by their id alone (one point read). Only when the id has no
   * assignment, an unclaimed invitation for `email` (compared by `normaliseEmail`) and for the user's
   * identity provider is bound to this id and consumed:
   * from then on the e-mail plays no part, so a user whose e-mail changes keeps their regions and someone
   * else who later signs in with that e-mail gets none. Empty when none.
   */
  userRegions(user: UserKey, email: string): Promise<string[]>;
  /**
   * By id: sets that user's regions. By e-mail: an invitation, bound to the first user who signs in with
   * that e-mail through `invitationProvider` (default DEFAULT_INVITATION_PROVIDER) and has no assignment
   * yet; when the e-mail's invitation is already bound, sets the regions of the user it is bound to. Answers
   * what was written (which user, when bound). Bound to the provider because the e-mail (`userDetails`) is
   * whatever that provider says: a GitHub account can carry any address its owner typed, so an invitation
   * meant for a company's Entra ID user must not go to it.
   */
  setUserRegions(user: Assignee, regions: readonly string[], invitationProvider?: string): Promise<UserAssignment>;
  /** Region of every store that has one. */
  storeRegions(): Promise<Map<string, string>>;
  setStoreRegion(store: string, region: string): Promise<void>;
  /** Users with an assignment, then invitations nobody has signed in with yet. */
  listUsers(): Promise<UserAssignment[]>;
}

/** The key regions are looked up by: the provider (lower case) and its user id, never the e-mail. */
export function userKeyOf(p: Pick<Principal, 'identityProvider' | 'userId'>): UserKey {
  return { identityProvider: p.identityProvider.trim().toLowerCase(), userId: p.userId };
}

/** How a user id is shown and typed: `aad/1a2b…`. */
export function formatUserKey(u: UserKey): string {
  return `${u.identityProvider}/${u.userId}`;
}

/**
 * How invitation e-mails are compared: NFKC (fullwidth `Ａda` is `Ada`; compatibility forms and combining
 * sequences fold to one spelling), then lower case. Simple lower-casing, not full case folding
 * (toUpperCase→toLowerCase would also equate `ß` with `ss`): Entra ID compares sign-in names
 * case-insensitively character by character, and two addresses it keeps apart must not claim each other's
 * invitation. Locale-independent (`toLowerCase`, never `toLocaleLowerCase`: no Turkish dotless i).
 */
export function normaliseEmail(email: string): string {
  // NFKC again after lower-casing, which can leave a sequence NFKC would compose: normalising twice is a no-op.
  return email.normalize('NFKC').trim().toLowerCase().normalize('NFKC');
}

/** Stores without a region are visible to admins only. */
export const UNASSIGNED_REGION = 'unassigned';

export function roleOf(p: Principal): Role | null {
  // An app is an operator or nothing, and no user becomes an operator by a role of that name.
  if (p.identityProvider === APP_PROVIDER) return p.userRoles.includes('operator') ? 'operator' : null;
  if (p.userRoles.includes('admin')) return 'admin';
  if (p.userRoles.includes('planner')) return 'planner';
  return null;
}

/** What one caller may see, resolved once per request. */
export interface AccessScope {
  principal: Principal;
  role: Role | null;
  /** Regions the caller sees (all known regions for an admin). */
  regions: string[];
  /** Region of each known store. */
  storeRegion: Map<string, string>;
  canSee(store: string): boolean;
}

/** `operatorStores`: the only stores an operator sees (FOREACT_OPERATOR_STORES). */
export async function resolveScope(access: AccessRepository, principal: Principal, knownStores: readonly string[], operatorStores: readonly string[] = []): Promise<AccessScope> {
  const role = roleOf(principal);
  const operatorSees = new Set(role === 'operator' ? operatorStores : []);
  const regionsOfStores = await access.storeRegions();
  const storeRegion = new Map<string, string>();
  for (const s of knownStores) storeRegion.set(s, regionsOfStores.get(s) ?? UNASSIGNED_REGION);
  let regions: string[];
  if (role === 'admin') regions = [...new Set(storeRegion.values())].sort();
  else if (role === 'operator') regions = [...new Set([...storeRegion].filter(([s]) => operatorSees.has(s)).map(([, r]) => r))].sort();
  else if (role === 'planner') regions = (await access.userRegions(userKeyOf(principal), normaliseEmail(principal.userDetails))).sort();
  else regions = [];
  const allowed = new Set(regions);
  return {
    principal,
    role,
    regions,
    storeRegion,
    canSee: (store) => role === 'admin' || (role === 'operator' && operatorSees.has(store)) || (role === 'planner' && allowed.has(storeRegion.get(store) ?? UNASSIGNED_REGION) && storeRegion.get(store) !== UNASSIGNED_REGION),
  };
}

export function requireRole(scope: AccessScope): void {
  if (scope.role === null) throw new DomainError('forbidden', 'Your account has neither the planner nor the admin role.');
}

/**
 * 403 for every store the caller cannot see, whether it does not exist or belongs to another region: one
 * status and one message for both, so that a planner cannot tell which store ids exist by asking.
 */
export function checkStores(scope: AccessScope, stores: readonly string[]): void {
  requireRole(scope);
  const denied = stores.filter((s) => !scope.storeRegion.has(s) || !scope.canSee(s));
  if (denied.length > 0) throw new DomainError('forbidden', `You may not see store${denied.length > 1 ? 's' : ''} ${denied.slice(0, 20).join(', ')}: ${denied.length > 1 ? 'they do' : 'it does'} not exist or ${denied.length > 1 ? 'are' : 'is'} not yours to see.`, denied.slice(0, 50));
}

export function normaliseRegion(region: string): string {
  return region.trim().toLowerCase();
}
