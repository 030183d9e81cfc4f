import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { KubeConfig, type V1Job } from '@kubernetes/client-node';

/**
 * A Kubernetes API server on loopback that speaks the batch/v1 Jobs REST protocol (create, read, list by
 * label selector, delete with propagationPolicy; 409 AlreadyExists; 404 NotFound as v1 Status) and plays
 * the kubelet: each Job's container command runs as a local process with the Job's env, honouring
 * `backoffLimit` and `activeDeadlineSeconds`, and the Job's status conditions (Complete/Failed) follow.
 */

export interface PodRun {
  job: string;
  attempt: number;
  exitCode: number | null;
  startedAt: number;
  finishedAt?: number;
  stdout: string;
  stderr: string;
}

export interface Fault {
  method?: string;
  path?: RegExp;
  /** Answer with this status (a v1 Status body)… */
  status?: number;
  /** …or do not answer for this long (a hung API server). */
  hangMs?: number;
  times: number;
}

export interface FakeKubernetesOptions {
  /** Maps the container to a local command; default: `node` → this Node, paths relative to the repo root. */
  mapCommand?: (container: { image: string; command: string[]; args: string[] }) => { command: string; args: string[]; cwd?: string };
  /** Added to every pod's environment (PATH etc.; the Job's own env wins). */
  baseEnv?: Record<string, string>;
  /** Pods running at once (a small cluster); the rest wait as pending. Default unlimited. */
  maxPods?: number;
}

export interface FakeKubernetes {
  url: string;
  kubeConfigYaml(namespace?: string): string;
  kubeConfig(namespace?: string): KubeConfig;
  jobs: Map<string, V1Job>;
  requests: { method: string; path: string; status: number }[];
  pods: PodRun[];
  fault(fault: Fault): void;
  /** Makes the pods of Jobs whose store env matches fail (exit 1) on every attempt. */
  failStore(store: string): void;
  stop(): Promise<void>;
}

const REPO = resolve(__dirname, '../..');

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function matches(labels: Record<string, string> | undefined, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=').map((s) => s.trim()) as [string, string | undefined];
    return v === undefined ? labels?.[k] !== undefined : labels?.[k] === v;
  });
}

export async function startFakeKubernetes(options: FakeKubernetesOptions = {}): Promise<FakeKubernetes> {
  const jobs = new Map<string, V1Job>();
  const processes = new Map<string, ChildProcess>();
  const requests: FakeKubernetes['requests'] = [];
  const pods: PodRun[] = [];
  const faults: Fault[] = [];
  const failing = new Set<string>();
  const waiting: string[] = [];
  let running = 0;
  let stopped = false;

  const mapCommand =
    options.mapCommand ??
    ((c: { command: string[]; args: string[] }) => {
      const [cmd, ...rest] = c.command;
      return { command: cmd === 'node' ? process.execPath : (cmd ?? 'false'), args: [...rest, ...c.args], cwd: REPO };
    });

  const key = (ns: string, name: string) => `${ns}/${name}`;

  function condition(job: V1Job, type: 'Complete' | 'Failed', reason?: string, message?: string): void {
    const now = new Date();
    job.status = { ...job.status, active: 0, completionTime: type === 'Complete' ? now : undefined, conditions: [...(job.status?.conditions ?? []), { type, status: 'True', lastTransitionTime: now, lastProbeTime: now, ...(reason ? { reason } : {}), ...(message ? { message } : {}) }] };
  }

  function schedule(id: string): void {
    if (options.maxPods !== undefined && running >= options.maxPods) {
      waiting.push(id);
      return;
    }
    runPod(id);
  }

  function release(): void {
    running--;
    const next = waiting.shift();
    if (next !== undefined) runPod(next);
  }

  function runPod(id: string): void {
    const job = jobs.get(id);
    if (!job || stopped) return;
    const container = job.spec!.template.spec!.containers[0]!;
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', ...options.baseEnv };
    for (const e of container.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    const store = env.FOREACT_STORE ?? '';
    const attempt = (job.status?.failed ?? 0) + 1;
    const mapped = mapCommand({ image: container.image ?? '', command: container.command ?? [], args: container.args ?? [] });
    running++;
    job.status = { ...job.status, active: 1, startTime: job.status?.startTime ?? new Date() };
    const pod: PodRun = { job: job.metadata!.name!, attempt, exitCode: null, startedAt: Date.now(), stdout: '', stderr: '' };
    pods.push(pod);
    const child = failing.has(store) ? spawn(process.execPath, ['-e', 'console.error("injected pod failure"); process.exit(1)'], { env }) : spawn(mapped.command, mapped.args, { cwd: mapped.cwd ?? REPO, env });
    processes.set(id, child);
    child.stdout?.on('data', (d: Buffer) => (pod.stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (pod.stderr += d.toString()));
    const deadline = job.spec!.activeDeadlineSeconds;
    const started = job.status.startTime instanceof Date ? job.status.startTime.getTime() : Date.now();
    const killer = deadline ? setTimeout(() => child.kill('SIGTERM'), Math.max(0, started + deadline * 1000 - Date.now())) : undefined;
    child.on('exit', (code) => {
      if (killer) clearTimeout(killer);
      processes.delete(id);
      pod.exitCode = code;
      pod.finishedAt = Date.now();
      release();
      const current = jobs.get(id);
      if (!current || current !== job) return;
      if (code === 0) {
        job.status = { ...job.status, succeeded: 1 };
        condition(job, 'Complete');
        return;
      }
      job.status = { ...job.status, failed: (job.status?.failed ?? 0) + 1 };
      if (deadline && Date.now() >= started + deadline * 1000) condition(job, 'Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline');
      else if ((job.status.failed ?? 0) > (job.spec!.backoffLimit ?? 6)) condition(job, 'Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
      else setTimeout(() => schedule(id), 20);
    });
  }

  async function body(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const send = (code: number, payload: unknown) => {
      requests.push({ method, path: url.pathname, status: code });
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    };
    const fault = faults.find((f) => f.times > 0 && (f.method === undefined || f.method === method) && (f.path === undefined || f.path.test(url.pathname)));
    if (fault) {
      fault.times--;
      if (fault.hangMs !== undefined) {
        await new Promise((r) => setTimeout(r, fault.hangMs));
        if (res.destroyed) return;
      }
      if (fault.status !== undefined) return send(fault.status, status(fault.status, 'InternalError', 'injected fault'));
    }
    const m = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs(?:\/([^/]+))?(\/status)?$/.exec(url.pathname);
    if (!m) return send(404, status(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`));
    const ns = decodeURIComponent(m[1]!);
    const name = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
    if (name === undefined && method === 'POST') {
      const job = JSON.parse(await body(req)) as V1Job;
      const jobName = job.metadata?.name;
      if (!jobName) return send(422, status(422, 'Invalid', 'metadata.name: Required value'));
      if (!job.spec?.template.spec?.containers[0]) return send(422, status(422, 'Invalid', 'spec.template.spec.containers: Required value'));
      if (job.spec.template.spec.restartPolicy !== 'Never' && job.spec.template.spec.restartPolicy !== 'OnFailure') return send(422, status(422, 'Invalid', 'spec.template.spec.restartPolicy: Unsupported value'));
      const id = key(ns, jobName);
      if (jobs.has(id)) return send(409, status(409, 'AlreadyExists', `jobs.batch "${jobName}" already exists`));
      const stored: V1Job = { ...job, apiVersion: 'batch/v1', kind: 'Job', metadata: { ...job.metadata, namespace: ns, uid: randomUUID(), creationTimestamp: new Date(), resourceVersion: '1' }, status: {} };
      jobs.set(id, stored);
      setTimeout(() => schedule(id), 5);
      return send(201, stored);
    }
    if (name === undefined && method === 'GET') {
      const selector = url.searchParams.get('labelSelector');
      const items = [...jobs.entries()].filter(([k, j]) => k.startsWith(`${ns}/`) && matches(j.metadata?.labels, selector)).map(([, j]) => j);
      return send(200, { apiVersion: 'batch/v1', kind: 'JobList', metadata: { resourceVersion: '1' }, items });
    }
    if (name !== undefined) {
      const id = key(ns, name);
      const job = jobs.get(id);
      if (!job) return send(404, status(404, 'NotFound', `jobs.batch "${name}" not found`));
      if (method === 'GET') return send(200, job);
      if (method === 'DELETE') {
        const text = await body(req);
        const policy = url.searchParams.get('propagationPolicy') ?? ((text ? (JSON.parse(text) as { propagationPolicy?: string }) : {}).propagationPolicy ?? 'Orphan');
        jobs.delete(id);
        // Background/Foreground delete the pods too; Orphan (the batch/v1 default) leaves them running.
        if (policy !== 'Orphan') processes.get(id)?.kill('SIGTERM');
        return send(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: 'batch', kind: 'jobs', uid: job.metadata?.uid } });
      }
    }
    return send(405, status(405, 'MethodNotAllowed', `${method} not supported`));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(status(500, 'InternalError', String(error))));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const kubeConfigYaml = (namespace = 'foreact') =>
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake',
      '  cluster:',
      `    server: ${url}`,
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: fake',
      '  user:',
      '    token: fake-token',
      'contexts:',
      '- name: fake',
      '  context:',
      '    cluster: fake',
      '    user: fake',
      `    namespace: ${namespace}`,
      'current-context: fake',
      '',
    ].join('\n');

  return {
    url,
    kubeConfigYaml,
    kubeConfig(namespace) {
      const kc = new KubeConfig();
      kc.loadFromString(kubeConfigYaml(namespace));
      return kc;
    },
    jobs,
    requests,
    pods,
    fault: (f) => faults.push(f),
    failStore: (s) => failing.add(s),
    async stop() {
      stopped = true;
      for (const p of processes.values()) p.kill('SIGKILL');
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
