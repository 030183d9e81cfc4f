import type { Registration } from '../registry.js';

interface RouteSegment {
  literal?: string;
  param?: string;
  optional?: boolean;
  catchAll?: boolean;
}

/** An HTTP trigger as the host matches requests to it. */
export interface HttpRoute {
  reg: Registration;
  segments: RouteSegment[];
  /** Upper case; undefined = every method. */
  methods: string[] | undefined;
  authLevel: string;
}

export function httpRoutes(registrations: readonly Registration[]): HttpRoute[] {
  return registrations
    .filter((r) => r.trigger.type === 'httpTrigger')
    .map((r) => ({
      reg: r,
      segments: compileRoute(typeof r.trigger.route === 'string' ? r.trigger.route : r.name),
      methods: Array.isArray(r.trigger.methods) ? (r.trigger.methods as string[]).map((m) => m.toUpperCase()) : undefined,
      authLevel: typeof r.trigger.authLevel === 'string' ? r.trigger.authLevel.toLowerCase() : 'function',
    }));
}

/** A `route` template: literals (case-insensitive), `{id}`, `{id:int}`, `{id?}`, `{*rest}`. */
function compileRoute(route: string): RouteSegment[] {
  return route
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      const m = /^\{(\*)?([A-Za-z0-9_]+)(?::[^}?]*)?(\?)?\}$/.exec(s);
      if (!m) return { literal: s.toLowerCase() };
      return { param: m[2], catchAll: m[1] === '*', optional: m[3] === '?' };
    });
}

/** The route's parameters if the path matches it. */
export function matchRoute(segments: RouteSegment[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  let i = 0;
  for (const seg of segments) {
    const part = parts[i];
    if (seg.catchAll) {
      params[seg.param ?? ''] = parts.slice(i).map(decodeURIComponent).join('/');
      return params;
    }
    if (part === undefined) {
      if (seg.optional) continue;
      return undefined;
    }
    if (seg.literal !== undefined) {
      if (decodeURIComponent(part).toLowerCase() !== seg.literal) return undefined;
    } else {
      params[seg.param ?? ''] = decodeURIComponent(part);
    }
    i++;
  }
  return i === parts.length ? params : undefined;
}
