/** Mounts the dashboard in the DOM test environment against a FakeApi (the planner's-loop tests share it). */
import type { FetchLike } from '../../static-web/src/api';
import { App } from '../../static-web/src/app';
import type { ChartData } from '../../static-web/src/series';
import { STORAGE_KEY } from '../../static-web/src/state';
import { FakeApi, store } from './fixtures';

export const swaMe: FetchLike = () =>
  Promise.resolve(new Response(JSON.stringify({ clientPrincipal: { identityProvider: 'aad', userId: 'u1', userDetails: 'ann@contoso.com', userRoles: ['anonymous', 'authenticated', 'planner'] } }), { headers: { 'Content-Type': 'application/json' } }));

export interface Mounted {
  app: App;
  api: FakeApi;
  root: HTMLElement;
  charts: ChartData[];
  pushed: string[];
  /** What the app remembered between visits (in memory, fresh for each mount). */
  storage: Map<string, string>;
}

export interface MountOptions {
  search?: string;
  pathname?: string;
  /** A remembered selection, as a previous visit left it. */
  saved?: unknown;
  fetch?: FetchLike;
}

export function defaultApi(): FakeApi {
  return new FakeApi({ stores: [store('1'), store('2', { name: 'Harbour' }), store('3')] });
}

/** Starts the dashboard on `api` in a fresh root and waits until its first load is done. */
export async function startApp(api: FakeApi, opts: MountOptions = {}): Promise<Mounted> {
  const root = document.createElement('div');
  document.body.replaceChildren(root);
  const charts: ChartData[] = [];
  const pushed: string[] = [];
  const storage = new Map<string, string>();
  if (opts.saved) storage.set(STORAGE_KEY, JSON.stringify(opts.saved));
  const location = { pathname: opts.pathname ?? '/', search: opts.search ?? '', href: `http://localhost${opts.pathname ?? '/'}${opts.search ?? ''}` };
  const app = new App(root, {
    api,
    fetch: opts.fetch ?? swaMe,
    storage: { getItem: (k) => storage.get(k) ?? null, setItem: (k, v) => void storage.set(k, v) },
    location,
    history: {
      pushState: (_d: unknown, _t: string, url?: string | URL | null) => {
        pushed.push(String(url));
        const u = new URL(String(url), 'http://localhost');
        location.search = u.search;
        location.pathname = u.pathname;
      },
      replaceState: () => undefined,
    },
    renderChart: (_el, data) => {
      charts.push(data);
      return { destroy: () => undefined };
    },
    followOptions: { sleep: () => Promise.resolve() },
    reloadDelayMs: 0,
  });
  await app.start();
  await app.idle;
  return { app, api, root, charts, pushed, storage };
}

/** The planner's-loop tests' mount: the default stores, and every pending render settled. */
export async function mount(opts: { search?: string; api?: FakeApi } = {}): Promise<Mounted> {
  const mounted = await startApp(opts.api ?? defaultApi(), opts);
  await flush();
  return mounted;
}

export const byTestId = (root: ParentNode, id: string): HTMLElement => {
  const el = root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no [data-testid="${id}"]`);
  return el;
};

export const allByTestId = (root: ParentNode, id: string): HTMLElement[] => [...root.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];

export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
}

/** Sets a form control's value and fires the events a person's typing would. */
export function type(el: HTMLElement, value: string): void {
  (el as HTMLInputElement).value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  el.dispatchEvent(new Event('change', { bubbles: true }));
}
