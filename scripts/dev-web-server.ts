import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

/**
 * Demo identities offered by the local sign-in page; SWA's CLI emulator lets you type any, this picks.
 * `regions`: what `npm start` assigns each planner on first start, by user id (as `foreact admin assign
 * --user-id` does), so the sign-in's ids and the seeded assignments cannot drift apart.
 */
export const DEMO_USERS: readonly { userId: string; userDetails: string; userRoles: string[]; label: string; regions: string[] }[] = [
  { userId: 'pat', userDetails: 'pat.north@contoso.example', userRoles: ['anonymous', 'authenticated', 'planner'], label: 'Pat — planner, north region', regions: ['north'] },
  { userId: 'sam', userDetails: 'sam.south@contoso.example', userRoles: ['anonymous', 'authenticated', 'planner'], label: 'Sam — planner, south region', regions: ['south'] },
  { userId: 'ada', userDetails: 'ada.admin@contoso.example', userRoles: ['anonymous', 'authenticated', 'admin'], label: 'Ada — admin, all stores', regions: [] },
];

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.png': 'image/png', '.ico': 'image/x-icon' };
const COOKIE = 'foreact_demo_user';

function principalOf(req: IncomingMessage): (typeof DEMO_USERS)[number] | undefined {
  const cookie = /(?:^|;\s*)foreact_demo_user=([a-z]+)/.exec(req.headers.cookie ?? '');
  return DEMO_USERS.find((u) => u.userId === cookie?.[1]);
}

function swaPrincipal(user: (typeof DEMO_USERS)[number]): string {
  const { userId, userDetails, userRoles } = user;
  return Buffer.from(JSON.stringify({ identityProvider: 'aad', userId, userDetails, userRoles })).toString('base64');
}

/** Where to go after sign-in: a path, or a full address on this same host (as SWA accepts); never elsewhere. */
function sameOriginPath(redirect: string | null, host: string | undefined): string {
  if (redirect === null || redirect === '') return '/';
  if (redirect.startsWith('/') && !redirect.startsWith('//')) return redirect;
  try {
    const target = new URL(redirect);
    if (host !== undefined && target.host === host) return `${target.pathname}${target.search}${target.hash}`;
  } catch {
    // not a URL: fall through to the home page
  }
  return '/';
}

function loginPage(redirect: string | null): string {
  const back = redirect === null ? '' : `&amp;post_login_redirect_uri=${encodeURIComponent(redirect)}`;
  const options = DEMO_USERS.map((u) => `<li><a href="/.auth/login/aad?user=${u.userId}${back}">${u.label}</a></li>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in — Foreact (local)</title></head>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto"><h1>Sign in (local emulation of Entra ID)</h1>
<p>Foreact runs locally; pick who you are. In Azure this page is Entra ID through Static Web Apps.</p><ul>${options}</ul></body></html>`;
}

/**
 * Serves the built dashboard the way Static Web Apps does for it: `/.auth/*` sign-in emulation, `/api/*`
 * proxied to the Functions host with the `x-ms-client-principal` header SWA would add, and a navigation
 * fallback to index.html. Used when the SWA CLI is not installed (it needs a native keyring library).
 */
export function startDevWebServer(opts: { root: string; port: number; apiUrl: string; hostname?: string }): Promise<Server> {
  const root = resolve(opts.root);
  const api = new URL(opts.apiUrl);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const user = principalOf(req);
    if (url.pathname === '/.auth/login/aad') {
      const chosen = DEMO_USERS.find((u) => u.userId === url.searchParams.get('user'));
      const redirect = url.searchParams.get('post_login_redirect_uri');
      if (chosen === undefined) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(redirect));
        return;
      }
      res.writeHead(302, { 'set-cookie': `${COOKIE}=${chosen.userId}; Path=/; HttpOnly; SameSite=Lax`, location: sameOriginPath(redirect, req.headers.host) }).end();
      return;
    }
    if (url.pathname === '/.auth/logout') {
      res.writeHead(302, { 'set-cookie': `${COOKIE}=; Path=/; Max-Age=0`, location: '/' }).end();
      return;
    }
    if (url.pathname === '/.auth/me') {
      const clientPrincipal = user === undefined ? null : { identityProvider: 'aad', userId: user.userId, userDetails: user.userDetails, userRoles: user.userRoles };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ clientPrincipal }));
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: api.host };
      delete headers['x-ms-client-principal'];
      if (user !== undefined) headers['x-ms-client-principal'] = swaPrincipal(user);
      const upstream = request({ hostname: api.hostname, port: api.port, path: req.url, method: req.method, headers }, (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'api_unreachable', message: 'The Foreact API is not reachable.' } })));
      req.pipe(upstream);
      return;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(url.pathname);
    } catch {
      // A malformed `%` escape is the client's mistake, not a reason to stop the server.
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('malformed URL escape');
      return;
    }
    const file = normalize(join(root, decoded));
    // Inside root itself, not a sibling folder whose name starts like it (`/..%2Fstatic-web-evil/`).
    const inside = file.startsWith(root.endsWith(sep) ? root : `${root}${sep}`) && !decoded.includes('\0');
    const servable = inside && existsSync(file) && statSync(file).isFile();
    const path = servable ? file : join(root, 'index.html');
    if (!servable && extname(url.pathname) !== '') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    createReadStream(path).pipe(res);
  });
  return new Promise((resolveServer, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.hostname ?? '127.0.0.1', () => resolveServer(server));
  });
}
