import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { ActionType, retryDelayMs } from '../../../../scripts/local-host/durable/replay-engine.js';
import { EventType } from '../../../../scripts/local-host/history-events.js';

// The numbers the host names are durable-functions' own, which its types do not export: read them from
// the installed package, so an upgrade that renumbers them fails here rather than in a replay.
const require = createRequire(__filename);
const library = (path: string, name: string): Record<string, unknown> => (require(`durable-functions/${path}`) as Record<string, Record<string, unknown>>)[name] ?? {};

describe("the host's names for durable-functions' numbers", () => {
  test('ActionType matches the installed package', () => {
    const theirs = library('lib/src/actions/ActionType.js', 'ActionType');
    for (const [name, value] of Object.entries(ActionType)) expect(theirs[name], name).toBe(value);
  });

  test('EventType matches the installed HistoryEventType', () => {
    const theirs = library('lib/src/history/HistoryEventType.js', 'HistoryEventType');
    for (const [name, value] of Object.entries(EventType)) expect(theirs[name], name).toBe(value);
  });
});

describe('retry back-off, as the Durable extension computes it', () => {
  test('first interval × coefficient^(failures − 1), capped by the max interval', () => {
    const options = { firstRetryIntervalInMilliseconds: 100, backoffCoefficient: 2, maxRetryIntervalInMilliseconds: 350 };
    expect([1, 2, 3, 4].map((failures) => retryDelayMs(options, failures))).toEqual([100, 200, 350, 350]);
    expect(retryDelayMs({ firstRetryIntervalInMilliseconds: 100, backoffCoefficient: 2, maxRetryIntervalInMilliseconds: 0 }, 4)).toBe(800);
  });
});
