import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * Static checks of the infrastructure code, by reading the files as text: no Azure, no Bicep compiler
 * (CI compiles with `az bicep build` in .github/workflows/deploy.yml). They pin the properties the
 * design asks for so that an edit cannot quietly drop them.
 */

const root = join(__dirname, '..', '..');
const bicepDir = join(root, 'bicep');

function read(path: string): string {
  return readFileSync(join(root, path), 'utf8');
}

function filesUnder(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path, ext));
    else if (ext.test(entry.name)) out.push(path);
  }
  return out;
}

const bicepFiles = filesUnder(bicepDir, /\.bicep$/).map((p) => relative(root, p));
const paramFiles = filesUnder(bicepDir, /\.bicepparam$/).map((p) => relative(root, p));

/** The text of each `resource <symbol> '<type>@<version>' ... = { ... }` block, by brace matching. */
function resourceBlocks(text: string, type: string): { symbol: string; body: string }[] {
  const blocks: { symbol: string; body: string }[] = [];
  const header = /^resource\s+(\w+)\s+'([^'@]+)@[^']+'[^\n]*=\s*(?:if\s*\([^\n]*\)\s*)?\{/gm;
  for (let m = header.exec(text); m !== null; m = header.exec(text)) {
    if (m[2] !== type) continue;
    let depth = 0;
    let end = m.index;
    for (let i = m.index + m[0].length - 1; i < text.length; i++) {
      const ch = text[i];
      if (ch === '{') depth++;
      else if (ch === '}') depth--;
      if (depth === 0) {
        end = i + 1;
        break;
      }
    }
    blocks.push({ symbol: m[1] ?? '', body: text.slice(m.index, end) });
  }
  return blocks;
}

/** Built-in roles Foreact uses, by id (checked against Microsoft's built-in roles list). */
const BUILT_IN_ROLES: Readonly<Record<string, string>> = {
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
  '4abbcc35-e782-43d8-92c5-2d3f1bd2253f': 'Azure Kubernetes Service Cluster User Role',
  'a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb': 'Azure Kubernetes Service RBAC Writer',
  'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b': 'Azure Kubernetes Service RBAC Cluster Admin',
  '7f951dda-4ed3-4680-a7ca-43fe172d538d': 'AcrPull',
};

describe('bicep layout', () => {
  it('has main.bicep and one module per concern', () => {
    for (const m of ['storage', 'monitoring', 'functions', 'aks', 'static-web-app', 'roles']) {
      expect(bicepFiles, m).toContain(join('bicep', 'modules', `${m}.bicep`));
    }
    expect(bicepFiles).toContain(join('bicep', 'main.bicep'));
  });

  it('main.bicep passes only parameters its modules declare, to modules that exist', () => {
    const main = read('bicep/main.bicep');
    const modules = [...main.matchAll(/^module\s+(\w+)\s+'([^']+)'\s*=\s*\{\n([\s\S]*?)\n\}/gm)];
    expect(modules.length).toBeGreaterThanOrEqual(6);
    for (const [, symbol, path, body] of modules) {
      const file = join('bicep', path ?? '');
      expect(existsSync(join(root, file)), `${symbol}: ${file}`).toBe(true);
      const declared = new Set([...read(file).matchAll(/^param\s+(\w+)\s/gm)].map((m) => m[1]));
      const paramsBlock = /\n {2}params: \{\n([\s\S]*?)\n {2}\}/.exec(body ?? '')?.[1] ?? '';
      const passed = [...paramsBlock.matchAll(/^ {4}(\w+):/gm)].map((m) => m[1]);
      expect(passed.length, symbol).toBeGreaterThan(0);
      for (const name of passed) expect(declared.has(name), `${symbol} (${file}) has no param ${name}`).toBe(true);
    }
  });
});

describe('parameter files', () => {
  const mainParams = new Set([...read('bicep/main.bicep').matchAll(/^param\s+(\w+)\s/gm)].map((m) => m[1]));

  it.each(['dev', 'test', 'prod'])('%s.bicepparam uses main.bicep, names its environment and sets only declared params', (env) => {
    const file = join('bicep', 'params', `${env}.bicepparam`);
    expect(paramFiles).toContain(file);
    const text = read(file);
    expect(text).toMatch(/^using '\.\.\/main\.bicep'$/m);
    expect(text).toMatch(new RegExp(`^param environmentName = '${env}'$`, 'm'));
    for (const [, name] of text.matchAll(/^param\s+(\w+)\s*=/gm)) {
      expect(mainParams.has(name), `${file}: ${name} is not a parameter of main.bicep`).toBe(true);
    }
  });

  it('prod is geo-redundant and has the AKS uptime SLA', () => {
    const prod = read('bicep/params/prod.bicepparam');
    expect(prod).toMatch(/^param storageSku = 'Standard_(RA)?GZRS'$/m);
    expect(prod).toMatch(/^param aksSkuTier = 'Standard'$/m);
  });
});

describe('role assignments', () => {
  const assignments = bicepFiles.flatMap((file) =>
    resourceBlocks(read(file), 'Microsoft.Authorization/roleAssignments').map((b) => ({ file, ...b })),
  );

  it('exist', () => {
    expect(assignments.length).toBeGreaterThanOrEqual(8);
  });

  it('are each named guid(scope, principalId, roleDefinitionId)', () => {
    for (const { file, symbol, body } of assignments) {
      expect(body, `${file}: ${symbol}`).toMatch(/\n\s*name:\s*guid\(\s*\w+\.id,\s*\w+,\s*[\w.]+\s*\)\n/);
    }
  });

  it('give every built-in role id a comment naming the role, and the name is right', () => {
    let seen = 0;
    for (const file of bicepFiles) {
      for (const line of read(file).split('\n')) {
        const id = /'Microsoft\.Authorization\/roleDefinitions',\s*'([0-9a-f-]{36})'/.exec(line)?.[1];
        if (id === undefined) continue;
        seen++;
        const comment = /\/\/\s*(.+?)\s*$/.exec(line)?.[1];
        expect(comment, `${file}: role ${id} has no comment`).toBeDefined();
        expect(BUILT_IN_ROLES[id], `${file}: role ${id} is not in the checked list`).toBeDefined();
        expect(comment).toBe(BUILT_IN_ROLES[id]);
      }
    }
    expect(seen).toBeGreaterThanOrEqual(6);
  });

  it('grant the Function App blob, table and queue data roles and the AKS roles it needs', () => {
    const roles = read('bicep/modules/roles.bicep');
    for (const role of ['storageBlobDataContributor', 'storageTableDataContributor', 'storageQueueDataContributor', 'monitoringMetricsPublisher', 'aksClusterUser', 'poolScalerRole.id', 'aksRbacWriter']) {
      expect(roles).toMatch(new RegExp(`guid\\(\\w+\\.id, functionPrincipalId, ${role.replace('.', '\\.')}\\)`));
    }
    expect(roles).toContain("'Microsoft.ContainerService/managedClusters/agentPools/write'");
  });
});

describe('no keys or secrets', () => {
  const forbidden: [RegExp, string][] = [
    [/listKeys\(/i, 'listKeys('],
    [/AccountKey=/i, 'AccountKey='],
    [/listSecrets\(/i, 'listSecrets('],
    [/SharedAccessSignature|listAccountSas\(|listServiceSas\(/i, 'SAS'],
    [/DefaultEndpointsProtocol=/i, 'storage connection string'],
    [/WEBSITE_CONTENTAZUREFILECONNECTIONSTRING/, 'Azure Files connection string'],
    [/@secure\(\)/, 'a secure parameter (secrets belong nowhere in this template)'],
  ];

  it.each([...bicepFiles, ...paramFiles])('%s', (file) => {
    const text = read(file);
    for (const [pattern, what] of forbidden) expect(pattern.test(text), `${file} contains ${what}`).toBe(false);
  });

  it('the workflow uses no stored secrets and signs in with OIDC', () => {
    const text = read('.github/workflows/deploy.yml');
    expect(text).not.toMatch(/\$\{\{\s*secrets\./);
    expect(text).not.toMatch(/publish-profile|creds:/);
    const workflow = parse(text) as { jobs: Record<string, { permissions?: Record<string, string>; steps?: { uses?: string; with?: Record<string, unknown> }[] }> };
    const loginJobs = Object.entries(workflow.jobs).filter(([, job]) => job.steps?.some((s) => s.uses?.startsWith('azure/login@')));
    expect(loginJobs.map(([name]) => name)).toEqual(expect.arrayContaining(['deploy-infra', 'deploy-functions', 'deploy-static-web']));
    for (const [name, job] of loginJobs) {
      expect(job.permissions?.['id-token'], name).toBe('write');
      const login = job.steps?.find((s) => s.uses?.startsWith('azure/login@'));
      expect(Object.keys(login?.with ?? {}).sort(), name).toEqual(['client-id', 'subscription-id', 'tenant-id']);
    }
  });
});

describe('storage', () => {
  const storage = read('bicep/modules/storage.bicep');

  it('accepts Entra ID only, TLS 1.2, no public blobs, soft delete on', () => {
    expect(storage).toMatch(/allowSharedKeyAccess:\s*false/);
    expect(storage).not.toMatch(/allowSharedKeyAccess:\s*true/);
    expect(storage).toMatch(/minimumTlsVersion:\s*'TLS1_2'/);
    expect(storage).toMatch(/allowBlobPublicAccess:\s*false/);
    expect(storage).toMatch(/kind:\s*'StorageV2'/);
    expect(storage).toMatch(/deleteRetentionPolicy:\s*\{\s*enabled:\s*true/);
  });

  it('creates the tables and containers the app uses', () => {
    const list = (name: string) => (new RegExp(`var ${name} = \\[([^\\]]*)\\]`).exec(storage)?.[1] ?? '').match(/'[^']+'/g)?.map((s) => s.slice(1, -1)) ?? [];
    expect(list('tableNames').sort()).toEqual(['access', 'forecasts', 'ingestions', 'models', 'runs', 'stores']);
    expect(list('containerNames').sort()).toEqual(['models', 'rejected', 'sales', 'uploads']);
  });
});

describe('function app', () => {
  const functions = read('bicep/modules/functions.bicep');

  it('reaches host storage by identity and dispatches training to AKS', () => {
    expect(functions).toMatch(/AzureWebJobsStorage__accountName:/);
    expect(functions).not.toMatch(/^\s*AzureWebJobsStorage:/m);
    expect(functions).toMatch(/identity:\s*\{\s*type:\s*'SystemAssigned'\s*\}/);
    expect(functions).toMatch(/FOREACT_DISPATCH:\s*'aks'/);
    for (const setting of ['FOREACT_MORNING_SCHEDULE', 'FOREACT_AKS_SUBSCRIPTION_ID', 'FOREACT_AKS_RESOURCE_GROUP', 'FOREACT_AKS_CLUSTER', 'FOREACT_AKS_IMAGE', 'FOREACT_AKS_WORKLOAD_CLIENT_ID', 'APPLICATIONINSIGHTS_CONNECTION_STRING']) {
      expect(functions).toContain(`${setting}:`);
    }
    expect(functions).toMatch(/runtime:\s*\{\s*name:\s*'node'\s*version:\s*'20'\s*\}/);
  });
});

describe('aks', () => {
  const aks = read('bicep/modules/aks.bicep');

  it('has OIDC issuer and workload identity, and a training pool that rests at zero', () => {
    expect(aks).toMatch(/oidcIssuerProfile:\s*\{\s*enabled:\s*true\s*\}/);
    expect(aks).toMatch(/workloadIdentity:\s*\{\s*enabled:\s*true\s*\}/);
    expect(aks).toMatch(/param trainingMinNodes int = 0/);
    expect(aks).toMatch(/name: trainingPoolName\n\s+mode: 'User'/);
    expect(aks).toMatch(/minCount: trainingMinNodes/);
    expect(aks).toMatch(/subject: 'system:serviceaccount:\$\{trainingNamespace\}:\$\{trainingServiceAccount\}'/);
    expect(read('bicep/main.bicep')).toMatch(/var trainingServiceAccount = 'foreact-training'/);
  });

  it('the training pool taint is the one k8s-training/job.yaml tolerates', () => {
    const taint = /nodeTaints: \['(foreact\/training)=true:NoSchedule'\]/.exec(aks)?.[1];
    expect(taint).toBe('foreact/training');
    expect(read('k8s-training/job.yaml')).toMatch(/key: foreact\/training\n\s+operator: Exists\n\s+effect: NoSchedule/);
  });
});
