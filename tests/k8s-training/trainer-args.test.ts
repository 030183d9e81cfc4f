import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, test } from 'vitest';
import { AksDispatcher } from '../../core/adapters/dispatch/aks.js';
import { parse } from '../../k8s-training/trainer.js';

/** Issue 13, hole 1: the Job passes `--store=<id>`; the trainer reads that form and the spaced one. */
describe('trainer arguments', () => {
  test('--name=value and --name value are read alike', () => {
    expect(parse(['--store=a', '--store=b.c', '--run=r-1', '--trigger=morning'], {})).toEqual({ stores: ['a', 'b.c'], runId: 'r-1', trigger: 'morning' });
    expect(parse(['--store', 'a', '--run', 'r'], {})).toEqual({ stores: ['a'], runId: 'r', trigger: 'manual' });
  });

  test('a value that starts with "-" stays a value in the --store=<id> form', () => {
    expect(parse(['--store=-x', '--run=r'], {})).toEqual({ stores: ['-x'], runId: 'r', trigger: 'manual' });
    expect(() => parse(['--store', '-x', '--run', 'r'], {})).toThrow();
  });

  test('what the Job manifest passes is what the trainer reads back', () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromClusterAndUser({ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }, { name: 'u' });
    const dispatcher = new AksDispatcher({ kubeConfig, namespace: 'foreact', image: 'img', serviceAccount: 'sa', pool: 'training' });
    const args = dispatcher.manifest({ runId: 'morning-1', stores: ['-x', 'b'], trigger: 'morning' }).spec!.template.spec!.containers[0]!.args!;
    expect(args).toEqual(['--store=-x', '--store=b', '--run=morning-1', '--trigger=morning']);
    expect(parse(args, {})).toEqual({ stores: ['-x', 'b'], runId: 'morning-1', trigger: 'morning' });
  });

  test('the pooled step and the pooled artifact a store job reads, as the manifest passes them', () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromClusterAndUser({ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }, { name: 'u' });
    const dispatcher = new AksDispatcher({ kubeConfig, namespace: 'foreact', image: 'img', serviceAccount: 'sa', pool: 'training', pooledMemoryMiB: 8192 });
    const pooled = dispatcher.manifest({ runId: 'morning-1', mode: 'pooled', stores: [], trigger: 'morning' });
    const container = pooled.spec!.template.spec!.containers[0]!;
    expect(parse(container.args!, {})).toEqual({ mode: 'pooled', runId: 'morning-1', trigger: 'morning' });
    expect(container.resources?.limits?.memory).toBe('8192Mi');
    expect(container.resources?.requests?.memory).toBe('8192Mi');
    expect(container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value).toBe('--max-old-space-size=6553');
    expect(pooled.metadata?.labels).toMatchObject({ 'foreact/pooled': 'true' });
    expect(pooled.metadata?.labels).not.toHaveProperty('foreact/store');

    const onVersion = dispatcher.manifest({ runId: 'morning-1', stores: ['a', 'b'], trigger: 'morning', pooled: { version: 'morning-1' } }).spec!.template.spec!.containers[0]!.args!;
    expect(parse(onVersion, {})).toEqual({ stores: ['a', 'b'], runId: 'morning-1', trigger: 'morning', pooled: { version: 'morning-1' } });
    const without = dispatcher.manifest({ runId: 'morning-1', stores: ['a'], trigger: 'morning', pooled: 'none' }).spec!.template.spec!.containers[0]!.args!;
    expect(parse(without, {})).toEqual({ stores: ['a'], runId: 'morning-1', trigger: 'morning', pooled: 'none' });
    expect(() => parse(['--pooled', '--store=a', '--run=r'], {})).toThrow(/--pooled takes --run/);
    expect(() => parse(['--store=a', '--run=r', '--pooled-version=r', '--no-pooled'], {})).toThrow(/exclude each other/);
  });
});
