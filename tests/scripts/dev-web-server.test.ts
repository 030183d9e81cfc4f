import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startDevWebServer } from '../../scripts/dev-web-server.js';

/** Issue 13, hole 8: the local sign-in server survives a malformed `%` escape and serves nothing outside its folder. */
let dir: string;
let server: Server;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'foreact-web-'));
  mkdirSync(path.join(dir, 'static-web'));
  mkdirSync(path.join(dir, 'static-web-evil'));
  writeFileSync(path.join(dir, 'static-web', 'index.html'), '<p>dashboard</p>');
  writeFileSync(path.join(dir, 'static-web', 'app.js'), 'ok');
  writeFileSync(path.join(dir, 'static-web-evil', 'secret.txt'), 'SECRET');
  writeFileSync(path.join(dir, 'secret.txt'), 'SECRET');
  server = await startDevWebServer({ root: path.join(dir, 'static-web'), port: 0, apiUrl: 'http://127.0.0.1:9' });
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(rawPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ hostname: '127.0.0.1', port, path: rawPath, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('dev web server', () => {
  test('a malformed % escape is a 400, and the server keeps serving', async () => {
    expect((await get('/%E0%A4%A')).status).toBe(400);
    expect((await get('/%')).status).toBe(400);
    expect(await get('/app.js')).toEqual({ status: 200, body: 'ok' });
  });

  test('no file outside the root: not a sibling folder named like it, not the parent', async () => {
    for (const p of ['/..%2fstatic-web-evil/secret.txt', '/..%2Fstatic-web-evil%2Fsecret.txt', '/..%2f..%2fsecret.txt', '/..%2fsecret.txt', '/app.js%00.txt']) {
      const res = await get(p);
      expect(res.body, p).not.toContain('SECRET');
      expect(res.status, p).toBe(404);
    }
  });
});
