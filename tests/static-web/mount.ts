/** Mounts the dashboard in the DOM test environment against a FakeApi (the planner's-loop tests share it). */
import type { FetchLike } from '../../static-web/src/api';
import { App } from '../../static-web/src/app';
import type { ChartData } from '../../static-web/src/series';
import { FakeApi, store } from './fixtures';

export const swaMe: FetchLike = () =>
  Promise.resolve(new Response(JSON.stringify({ clientPrincipal: { identityProvider: 'aad', userId: 'u1', userDetails: 'ann@contoso.com', userRoles: ['anonymous', 'authenticated', 'planner'] } }), { headers: { 'Content-Type': 'application/json' } }));

export interface Mounted {
  app: App;
  api: FakeApi;
  root: HTMLElement;
  charts: ChartData[];
  pushed: string[];
}

export function defaultApi(): FakeApi {
  return new FakeApi({ stores: [store('1'), store('2', { name: 'Harbour' }), store('3')] });
}

export async function mount(opts: { search?: string; api?: FakeApi } = {}): Promise<Mounted> {
  const api = opts.api ?? defaultApi();
  const root = document.createElement('div');
  document.body.replaceChildren(root);
  const charts: ChartData[] = [];
  const pushed: string[] = [];
  const location = { pathname: '/', search: opts.search ?? '', href: `http://localhost/${opts.search ?? ''}` };
  const app = new App(root, {
    api,
    fetch: swaMe,
    location,
    history: {
      pushState: (_d: unknown, _t: string, url?: string | URL | null) => {
        pushed.push(String(url));
        location.search = new URL(String(url), 'http://localhost').search;
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
  await flush();
  return { app, api, root, charts, pushed };
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
