import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AksPoolScaler } from '../../../../core/adapters/dispatch/aks-cluster.js';
import { fakeCredential, startFakeArm, type FakeArm } from '../../../support/fake-arm.js';

// Issue 13 item 7: the pool must go back to its configured bounds, whatever size it had when a run began.
describe('training pool sizing does not drift (fake ARM)', () => {
  let arm: FakeArm;
  const cluster = () => ({ credential: fakeCredential, subscriptionId: 'sub-1', resourceGroup: 'rg-foreact', cluster: 'aks-foreact', endpoint: arm.endpoint, clientOptions: { tlsOptions: { ca: arm.ca } } });

  beforeAll(async () => {
    // Both pools are still scaled up from a morning run whose scale-down failed.
    arm = await startFakeArm({ kubeconfig: () => 'unused', pools: { fixed: { count: 6, enableAutoScaling: false }, auto: { count: 6, enableAutoScaling: true, minCount: 6, maxCount: 12 } } });
  });
  afterAll(async () => {
    await arm?.stop();
  });

  it('a fixed-size pool left at 6 nodes goes back to FOREACT_AKS_POOL_MIN, not to 6', async () => {
    const scaler = new AksPoolScaler({ ...cluster(), pool: 'fixed', minNodes: 0, maxNodes: 10, podsPerNode: 4, windowSeconds: 1800 });
    const { previous, target } = await scaler.scaleUp(100, 60);
    expect(target).toEqual({ count: 1, autoscaling: false });
    expect(previous).toEqual({ count: 0, autoscaling: false });
    await scaler.restore(previous);
    expect(arm.pools.get('fixed')).toMatchObject({ count: 0, enableAutoScaling: false });
    // Two days in a row: no ratchet.
    const again = await scaler.scaleUp(100, 60);
    expect(again.previous).toEqual({ count: 0, autoscaling: false });
  });

  it('an autoscaled pool whose minCount was left raised goes back to the configured bounds', async () => {
    const scaler = new AksPoolScaler({ ...cluster(), pool: 'auto', minNodes: 0, maxNodes: 8, podsPerNode: 4, windowSeconds: 1800 });
    const { previous, target } = await scaler.scaleUp(100, 60);
    expect(previous).toEqual({ count: 6, autoscaling: true, minCount: 0, maxCount: 8 });
    expect(target).toMatchObject({ autoscaling: true, minCount: 1, maxCount: 8 });
    await scaler.restore(previous);
    expect(arm.pools.get('auto')).toMatchObject({ enableAutoScaling: true, minCount: 0, maxCount: 8 });
    // Even a stale "previous" (the live size an older version recorded) restores the configured bounds.
    await scaler.restore({ count: 6, autoscaling: true, minCount: 6, maxCount: 12 });
    expect(arm.pools.get('auto')).toMatchObject({ minCount: 0, maxCount: 8 });
  });

  it('a failed scale-down is an error the caller sees (the morning summary reports it), not silence', async () => {
    const scaler = new AksPoolScaler({ ...cluster(), pool: 'gone', minNodes: 0, maxNodes: 8, podsPerNode: 4, windowSeconds: 1800 });
    await expect(scaler.restore({ count: 0, autoscaling: false })).rejects.toThrow();
  });
});
