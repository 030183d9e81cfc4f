import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, test } from 'vitest';

/**
 * The layer rule (eslint.layers.mjs, part of `npm run lint`) fires on a wrong-way import in every layer
 * and stays quiet on the allowed direction. Linted as text under the layer's path, so nothing in the
 * tree has to be broken to prove it.
 */

const REPO = path.resolve(__dirname, '../..');
let eslint: ESLint;

beforeAll(async () => {
  const { layers } = (await import(pathToFileURL(path.join(REPO, 'eslint.layers.mjs')).href)) as { layers: Linter.Config[] };
  eslint = new ESLint({ cwd: REPO, overrideConfigFile: true, overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...layers] });
});

async function violations(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(REPO, file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

const cases: [file: string, wrong: string, right: string][] = [
  ['engine/probe.ts', "import { getConfig } from '../core/config.js';", "import { parseIsoDay } from './dates.js';"],
  ['engine/models/probe.ts', "import { TableClient } from '@azure/data-tables';", "import { parseIsoDay } from '../dates.js';"],
  ['core/domain/probe.ts', "import { openStorage } from '../adapters/azure/index.js';", "import { trainStore } from '../../engine/index.js';"],
  ['core/domain/probe.ts', "import { BlobClient } from '@azure/storage-blob';", "import type { StoragePorts } from '../ports/index.js';"],
  ['core/domain/probe.ts', "import { getConfig } from '../config.js';", "import { DomainError } from './errors.js';"],
  ['core/ports/probe.ts', "import { appDeps } from '../composition.js';", "import type { ForecastRow } from '../domain/model.js';"],
  ['core/adapters/azure/probe.ts', "import { appDeps } from '../../composition.js';", "import type { StoragePorts } from '../../ports/index.js';"],
  ['core/adapters/dispatch/probe.ts', "import { main } from '../../../k8s-training/trainer.js';", "import type { AppConfig } from '../../config.js';"],
  ['core/composition.ts', "import { getRun } from '../functions/get-run.js';", "import { openStorage } from './adapters/azure/index.js';"],
  ['core/runtime.ts', "import { getRun } from '../functions/get-run.js';", "import { buildDeps } from './composition.js';"],
  ['core/adapters/azure/probe.ts', "import { processRuntime } from '../../runtime.js';", "import type { StoragePorts } from '../../ports/index.js';"],
  ['core/domain/probe.ts', "import { createRuntime } from '../runtime.js';", "import { DomainError } from './errors.js';"],
  ['functions/probe.ts', "import { trainingBatchOrchestrator } from '../orchestrations/training-batch.js';", "import { STORE_REFRESH_ORCHESTRATION } from '../orchestrations/names.js';"],
  ['functions/http/probe.ts', "import { LocalDispatcher } from '../../core/adapters/dispatch/local.js';", "import { appDeps } from '../../core/composition.js';"],
  ['orchestrations/probe.ts', "import { getRun } from '../functions/get-run.js';", "import { appDeps } from '../core/composition.js';"],
  ['k8s-training/probe.ts', "import { startLocalHost } from '../scripts/local-host/host.js';", "import { buildDeps } from '../core/composition.js';"],
  ['cli/commands/probe.ts', "import { main } from '../../k8s-training/trainer.js';", "import { buildDeps } from '../../core/composition.js';"],
  ['bench/probe.ts', "import { startFakeKubernetes } from '../tests/support/fake-kubernetes.js';", "import { startFakeKubernetes } from '../scripts/fakes/fake-kubernetes.js';"],
];

describe('dependencies point one way', () => {
  test.each(cases)('%s: a wrong-way import fails, the allowed direction passes', async (file, wrong, right) => {
    const found = await violations(file, `${wrong}\nexport const probe = 1;\n`);
    expect(found.length, `${file}: ${wrong}`).toBe(1);
    expect(found[0]).toMatch(/^no-restricted-imports: /);
    expect(await violations(file, `${right}\nexport const probe = 1;\n`)).toEqual([]);
  });
});
