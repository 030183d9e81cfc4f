/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any -- response bodies are untyped JSON here */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { as, SAME_SITE, STANDIN_REFRESH, startApiFixture, type ApiFixture } from './harness.js';
import type { Principal } from '../../core/domain/api-access.js';
import { refreshInstanceId } from '../../orchestrations/names.js';

/**
 * Issue 18 item 16: eight first clicks at once on one store by one user. With the default budget (burst 5)
 * some requests are refused a token while another request is about to start the very refresh they want;
 * they must join it, not get 429. Through the real local host and Azurite (shared token buckets), with the
 * refresh stand-in so each round's run stays open until the test finishes it.
 */
let fx: ApiFixture;

beforeAll(async () => {
  fx = await startApiFixture({ extraModules: [STANDIN_REFRESH], env: { FOREACT_REFRESH_BURST: '5', FOREACT_REFRESH_PER_MINUTE: '5' } });
});
afterAll(async () => {
  await fx?.stop();
});

const ROUNDS = 20;
const CLICKS = 8;
const STORES = ['5', '6', '7', '8'];

describe('concurrent first clicks', () => {
  test(`${CLICKS} refreshes of one store at once by one user: ${CLICKS} × 202 and one run, ${ROUNDS} rounds over ${STORES.length} stores`, async () => {
    const outcomes: { round: number; store: string; statuses: number[]; runs: number; started: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const store = STORES[round % STORES.length]!;
      // A user of their own per round: one user's budget is the point, not the previous rounds' spending.
      const user: Principal = { identityProvider: 'aad', userId: `u-click-${round}`, userDetails: `click${round}@contoso.com`, userRoles: ['authenticated', 'admin'] };
      const answers = await Promise.all(
        Array.from({ length: CLICKS }, async () => {
          const res = await fetch(`${fx.host.url}/api/stores/${store}/refresh`, { method: 'POST', headers: as(user, SAME_SITE) });
          return { status: res.status, body: (await res.json()) as any };
        }),
      );
      const accepted = answers.filter((a) => a.status === 202);
      outcomes.push({ round, store, statuses: answers.map((a) => a.status).sort(), runs: new Set(accepted.map((a) => a.body.runId)).size, started: accepted.filter((a) => a.body.joined === false).length });
      await fx.host.durable.raiseEvent(refreshInstanceId(store), 'finish', {});
      await fx.host.durable.waitForInstance(refreshInstanceId(store), 30_000);
    }
    expect(outcomes).toEqual(outcomes.map(({ round, store }) => ({ round, store, statuses: Array<number>(CLICKS).fill(202), runs: 1, started: 1 })));
  });
});
