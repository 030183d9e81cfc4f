// One implementation for tests and the fault drills (bench/): the test support only re-exports it.
export { fakeCredential, startFakeArm } from '../../scripts/fakes/fake-arm.js';
export type { ArmCall, FakeArm } from '../../scripts/fakes/fake-arm.js';
