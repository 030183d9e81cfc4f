import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durableClient, durableClientInput, instanceStatus } from '../../../functions/http/durable-client.js';

// The real durable-functions client against a stand-in for the extension's status endpoint that answers
// what each test names: the local host can only answer 200 or 404, and the point is the other answers.
const answers = new Map<string, { status: number; body: unknown }>();
let server: Server;
let base = '';

function client(): ReturnType<typeof durableClient> {
  const context = new InvocationContext({ invocationId: 'inv-1', functionName: 'get-run', options: { trigger: { type: 'httpTrigger', name: 'req' }, extraInputs: [durableClientInput], extraOutputs: [] } });
  const hub = `${base}/runtime/webhooks/durabletask`;
  const q = 'taskHub=test&connection=Storage';
  context.extraInputs.set(durableClientInput, {
    taskHubName: 'test',
    creationUrls: { createNewInstancePostUri: `${hub}/orchestrators/{functionName}[/{instanceId}]?${q}` },
    managementUrls: { id: 'INSTANCEID', statusQueryGetUri: `${hub}/instances/INSTANCEID?${q}` },
    baseUrl: hub,
    requiredQueryStringParameters: q,
    rpcBaseUrl: `${hub}/`,
  });
  return durableClient(context);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const id = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.split('/').pop() ?? '');
    const answer = answers.get(id) ?? { status: 404, body: { error: `No instance with ID '${id}'` } };
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('instanceStatus: "no instance" is the status endpoint answering 404, never words in an error', () => {
  it('a 404 (as the extension and the local host answer for an unknown id) is no instance', async () => {
    await expect(instanceStatus(client(), 'refresh-7')).resolves.toBeUndefined();
  });

  it('a 404 whose body says nothing about "not found" is still no instance', async () => {
    answers.set('refresh-8', { status: 404, body: { reason: 'gone' } });
    await expect(instanceStatus(client(), 'refresh-8')).resolves.toBeUndefined();
  });

  it('a 500 whose message says "not found" is a failure, not a missing instance', async () => {
    answers.set('refresh-9', { status: 500, body: { error: 'Storage table not found (404 from the backend)' } });
    await expect(instanceStatus(client(), 'refresh-9')).rejects.toThrow(/unexpected status code: 500/);
  });

  it('a 200 is the instance, dates as ISO strings', async () => {
    answers.set('refresh-10', { status: 200, body: { name: 'store-refresh', instanceId: 'refresh-10', runtimeStatus: 'Running', createdTime: '2026-12-07T09:00:00Z', lastUpdatedTime: '2026-12-07T09:01:00Z', input: { runId: 'refresh-a.10' }, customStatus: { stage: 'training' }, output: null } });
    await expect(instanceStatus(client(), 'refresh-10')).resolves.toEqual({ runtimeStatus: 'Running', createdTime: '2026-12-07T09:00:00.000Z', lastUpdatedTime: '2026-12-07T09:01:00.000Z', input: { runId: 'refresh-a.10' }, customStatus: { stage: 'training' }, output: null });
  });
});
