// One implementation for tests and the fault drills (bench/): the test support only re-exports it.
export { startFakeKubernetes } from '../../scripts/fakes/fake-kubernetes.js';
export type { Fault, FakeKubernetes, FakeKubernetesOptions, PodRun } from '../../scripts/fakes/fake-kubernetes.js';
