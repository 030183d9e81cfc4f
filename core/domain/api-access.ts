import { DomainError } from './errors.js';

/** The signed-in user as Static Web Apps forwards it (`x-ms-client-principal`, base64 JSON). */
export interface Principal {
  identityProvider: string;
  userId: string;
  userDetails: string;
  userRoles: string[];
}

export type Role = 'planner' | 'admin';

/** Where planners' region assignments and stores' regions live (a table; see core/adapters/azure/api-access-table.ts). */
export interface AccessRepository {
  /** Regions assigned to a user (by e-mail / userDetails, case-insensitive); empty when none. */
  userRegions(user: string): Promise<string[]>;
  setUserRegions(user: string, regions: readonly string[]): Promise<void>;
  /** Region of every store that has one. */
  storeRegions(): Promise<Map<string, string>>;
  setStoreRegion(store: string, region: string): Promise<void>;
  listUsers(): Promise<{ user: string; regions: string[] }[]>;
}

/** Stores without a region are visible to admins only. */
export const UNASSIGNED_REGION = 'unassigned';

export function roleOf(p: Principal): Role | null {
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

export async function resolveScope(access: AccessRepository, principal: Principal, knownStores: readonly string[]): Promise<AccessScope> {
  const role = roleOf(principal);
  const regionsOfStores = await access.storeRegions();
  const storeRegion = new Map<string, string>();
  for (const s of knownStores) storeRegion.set(s, regionsOfStores.get(s) ?? UNASSIGNED_REGION);
  let regions: string[];
  if (role === 'admin') regions = [...new Set(storeRegion.values())].sort();
  else if (role === 'planner') regions = (await access.userRegions(principal.userDetails.trim().toLowerCase())).sort();
  else regions = [];
  const allowed = new Set(regions);
  return {
    principal,
    role,
    regions,
    storeRegion,
    canSee: (store) => role === 'admin' || (role === 'planner' && allowed.has(storeRegion.get(store) ?? UNASSIGNED_REGION) && storeRegion.get(store) !== UNASSIGNED_REGION),
  };
}

export function requireRole(scope: AccessScope): void {
  if (scope.role === null) throw new DomainError('forbidden', 'Your account has neither the planner nor the admin role.');
}

/** 400 for stores that do not exist, then 403 for stores outside the caller's regions. */
export function checkStores(scope: AccessScope, stores: readonly string[]): void {
  requireRole(scope);
  const unknown = stores.filter((s) => !scope.storeRegion.has(s));
  if (unknown.length > 0) throw new DomainError('unknown_store', `Unknown store${unknown.length > 1 ? 's' : ''}: ${unknown.slice(0, 20).join(', ')}.`, unknown.slice(0, 50));
  const denied = stores.filter((s) => !scope.canSee(s));
  if (denied.length > 0) throw new DomainError('forbidden', `You may not see store${denied.length > 1 ? 's' : ''} ${denied.slice(0, 20).join(', ')} (outside your regions).`, denied.slice(0, 50));
}

export function normaliseRegion(region: string): string {
  return region.trim().toLowerCase();
}
