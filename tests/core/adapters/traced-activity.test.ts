import { describe, expect, test } from 'vitest';
import { passiveTelemetry, tracedActivity, type TracedInput } from '../../../core/adapters/telemetry.js';

const telemetry = () => passiveTelemetry(undefined, { logSink: () => undefined });

describe('tracedActivity', () => {
  test('an activity whose input type declares the trace context and run is accepted and runs as is', async () => {
    const handler = tracedActivity(telemetry, 'probe', (input: { handle: string } & TracedInput) => Promise.resolve(`${input.handle}:${input.runId ?? '-'}`));
    await expect(handler({ handle: 'job-1', runId: 'run-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' })).resolves.toBe('job-1:run-1');
    await expect(handler({ handle: 'job-2' })).resolves.toBe('job-2:-');
  });

  test('an activity whose input type forgets them does not compile', () => {
    // tsc (npx tsc --noEmit) fails when one of these stops being an error.
    // @ts-expect-error the input declares neither traceparent nor runId
    tracedActivity(telemetry, 'forgets-both', (input: { handle: string }) => Promise.resolve(input.handle));
    // @ts-expect-error the input declares runId but not traceparent
    tracedActivity(telemetry, 'forgets-trace', (input: { handle: string; runId: string }) => Promise.resolve(input.handle));
    // @ts-expect-error a bare handle cannot carry a trace context
    tracedActivity(telemetry, 'bare-string', (input: string) => Promise.resolve(input));
    expect(true).toBe(true);
  });
});
