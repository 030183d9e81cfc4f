// Dependencies point one way:
//   engine ← core/domain + core/ports ← core/adapters ← core/composition.ts ← entry points
//   (functions/, orchestrations/, k8s-training/, cli/)
// Each layer lists what it must not import. Imports are matched as written (relative paths), so a
// pattern like `(^|/)adapters/` catches `../adapters/x.js` and `../../core/adapters/x.js` alike.
// tests/lint/layers.test.ts proves each rule fires on a wrong-way import.

const AZURE = ['^@azure/', '^durable-functions$', '^@kubernetes/'];
const ENTRY_POINTS = ['(^|/)functions/', '(^|/)orchestrations/', '(^|/)k8s-training/', '(^|/)cli/'];
const TOOLING = ['(^|/)scripts/', '(^|/)bench/', '(^|/)tests/'];

const rule = (regexes, message) => ['error', { patterns: regexes.map((regex) => ({ regex, message })) }];

export const layers = [
  {
    files: ['engine/**/*.ts'],
    rules: {
      'no-restricted-imports': rule([...AZURE, '(^|/)core/', ...ENTRY_POINTS, ...TOOLING], 'The engine is pure forecasting: it imports nothing from the app, Azure or tooling.'),
    },
  },
  {
    files: ['core/domain/**/*.ts', 'core/ports/**/*.ts'],
    rules: {
      'no-restricted-imports': rule([...AZURE, '(^|/)adapters/', '(^|/)composition(\\.js)?$', '(^|/)runtime(\\.js)?$', '(^|/)config(\\.js)?$', ...ENTRY_POINTS, ...TOOLING], 'Domain code and its ports know no Azure, no adapters, no configuration source and no entry point: add a port in core/ports.'),
    },
  },
  {
    files: ['core/adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': rule(['(^|/)composition(\\.js)?$', '(^|/)runtime(\\.js)?$', ...ENTRY_POINTS, ...TOOLING], 'Adapters implement ports; they are wired by core/composition.ts (held by core/runtime.ts) and never reach up to either or to an entry point.'),
    },
  },
  {
    files: ['core/composition.ts', 'core/config.ts', 'core/runtime.ts'],
    rules: {
      'no-restricted-imports': rule([...ENTRY_POINTS, ...TOOLING], 'The composition root wires the core for the entry points; it never imports one.'),
    },
  },
  {
    // An entry point may use the orchestrations' public names (orchestrations/names.ts) to start one.
    files: ['functions/**/*.ts'],
    rules: {
      'no-restricted-imports': rule(['(^|/)orchestrations/(?!names(\\.js)?$)', '(^|/)k8s-training/', '(^|/)cli/', ...TOOLING, '(^|/)core/adapters/dispatch/'], 'A trigger reaches the core through core/composition.ts; it does not import another entry point.'),
    },
  },
  {
    files: ['orchestrations/**/*.ts'],
    rules: {
      'no-restricted-imports': rule(['(^|/)functions/', '(^|/)k8s-training/', '(^|/)cli/', ...TOOLING], 'Orchestrations reach the core through core/composition.ts; they do not import another entry point.'),
    },
  },
  {
    files: ['k8s-training/**/*.ts'],
    rules: {
      'no-restricted-imports': rule(['(^|/)functions/', '(^|/)orchestrations/', '(^|/)cli/', ...TOOLING], 'The trainer reaches the core through core/composition.ts; it does not import another entry point.'),
    },
  },
  {
    files: ['cli/**/*.ts'],
    rules: {
      'no-restricted-imports': rule(['(^|/)functions/', '(^|/)orchestrations/', '(^|/)k8s-training/', ...TOOLING], 'The CLI reaches the core through core/composition.ts (and the engine directly); it does not import another entry point.'),
    },
  },
  {
    // What benchmarks share with tests (fake Kubernetes API, fake ARM, the local host) lives in scripts/.
    files: ['bench/**/*.ts'],
    rules: {
      'no-restricted-imports': rule(['(^|/)tests/'], 'Benchmarks import nothing from tests/: move what both need to scripts/ (e.g. scripts/fakes/).'),
    },
  },
];
