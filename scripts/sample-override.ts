/**
 * The sample override of `npm start`: Pat (north planner) raises store 101's forecast for three days and then
 * edits it, through the HTTP API as the dashboard would (signed in through the local sign-in emulation, with
 * `X-Requested-With: foreact`), so the store's history has two entries: a create and an edit. Skipped when the
 * store already has a history (a second start), so seeding stays idempotent.
 */
export const SAMPLE_OVERRIDE_STORE = '101';
export const SAMPLE_OVERRIDE_NOTES = ['Street festival in the old town: the council expects more visitors', 'Festival organisers now expect twice last year’s visitors'];

const addDays = (iso: string, days: number): string => new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

const headersOf = (user: string): Record<string, string> => ({ Cookie: `foreact_demo_user=${user}`, 'X-Requested-With': 'foreact', 'Content-Type': 'application/json', Accept: 'application/json' });

/** Calls the API through the dashboard's server, signed in as `user` (the local sign-in emulation's cookie). */
function caller(webUrl: string, store: string, user: string) {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${webUrl}/api/stores/${store}${path}`, { method, headers: headersOf(user), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    if (!response.ok) throw new Error(`sample override: ${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
}

/** Store 102's football final, three days of last week, which sold a quarter more than its model said. */
export const PAST_OVERRIDE = { store: '102', value: 25, note: 'Football final on the big screen in the square', firstDay: 1, lastDay: 3 } as const;

/**
 * Before last week's sales arrive (the stack's first start): Pat's override of the football final, on days
 * the forecast of `weekStart` covers. When the sales come in, the realised days record the adjusted total,
 * so value added has days to measure.
 */
export async function seedPastOverride(webUrl: string, weekStart: string, log: (message: string) => void, user = 'pat'): Promise<void> {
  const call = caller(webUrl, PAST_OVERRIDE.store, user);
  const range = { from: addDays(weekStart, PAST_OVERRIDE.firstDay), to: addDays(weekStart, PAST_OVERRIDE.lastDay) };
  await call('POST', '/overrides', { ...range, kind: 'percent', value: PAST_OVERRIDE.value, note: PAST_OVERRIDE.note });
  log(`Pat adjusted store ${PAST_OVERRIDE.store} for last week's football final (${range.from} – ${range.to}, +${PAST_OVERRIDE.value} %)`);
}

export async function seedOverride(webUrl: string, log: (message: string) => void, user = 'pat'): Promise<void> {
  const headers = headersOf(user);
  const call = caller(webUrl, SAMPLE_OVERRIDE_STORE, user);
  const history = await call<{ entries: unknown[] }>('GET', '/overrides/history');
  if (history.entries.length > 0) {
    log(`store ${SAMPLE_OVERRIDE_STORE} already has ${history.entries.length} override history entries; keeping them`);
    return;
  }
  const stores = (await (await fetch(`${webUrl}/api/stores`, { headers })).json()) as { stores: { store: string; freshness: { forecastFrom: string | null } }[] };
  const first = stores.stores.find((s) => s.store === SAMPLE_OVERRIDE_STORE)?.freshness.forecastFrom;
  if (!first) {
    log(`store ${SAMPLE_OVERRIDE_STORE} has no forecast yet; no sample override`);
    return;
  }
  // Three days from the fourth forecast day: clear of the Summer week (from the tenth) and of the first days.
  const range = { from: addDays(first, 3), to: addDays(first, 5) };
  const created = await call<{ id: string }>('POST', '/overrides', { ...range, kind: 'percent', value: 15, note: SAMPLE_OVERRIDE_NOTES[0] });
  await call('PUT', `/overrides/${encodeURIComponent(created.id)}`, { ...range, kind: 'percent', value: 30, note: SAMPLE_OVERRIDE_NOTES[1] });
  log(`Pat adjusted store ${SAMPLE_OVERRIDE_STORE} for ${range.from} – ${range.to} (+15 %, then edited to +30 %)`);
}
