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

/** The text of each `resource <symbol> '<type>@<version>' ... = { ... }` (or `= [for ...]`) block, by bracket matching. */
function resourceBlocks(text: string, type: string): { symbol: string; body: string }[] {
  const blocks: { symbol: string; body: string }[] = [];
  const header = /^resource\s+(\w+)\s+'([^'@]+)@[^']+'[^\n]*=\s*(?:if\s*\([^\n]*\)\s*)?[{[]/gm;
  for (let m = header.exec(text); m !== null; m = header.exec(text)) {
    if (m[2] !== type) continue;
    let depth = 0;
    let end = m.index;
    for (let i = m.index + m[0].length - 1; i < text.length; i++) {
      const ch = text[i];
      if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') depth--;
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
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1': 'Storage Blob Data Reader',
  '76199698-9eea-4c19-bc75-cec21354c6b6': 'Storage Table Data Reader',
  'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a': 'Storage Queue Data Message Sender',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
  '4abbcc35-e782-43d8-92c5-2d3f1bd2253f': 'Azure Kubernetes Service Cluster User Role',
  'a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb': 'Azure Kubernetes Service RBAC Writer',
  'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b': 'Azure Kubernetes Service RBAC Cluster Admin',
  '7f951dda-4ed3-4680-a7ca-43fe172d538d': 'AcrPull',
  '73c42c96-874c-492b-b04d-ab87d138a893': 'Log Analytics Reader',
};

describe('bicep layout', () => {
  it('has main.bicep and one module per concern', () => {
    for (const m of ['storage', 'monitoring', 'functions', 'aks', 'static-web-app', 'static-web-app-backend', 'roles', 'alerts']) {
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
      expect(body, `${file}: ${symbol}`).toMatch(/\n\s*name:\s*guid\(\s*[\w[\]]+\.id,\s*[\w.]+,\s*[\w.]+\s*\)\n/);
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

  it('grant the Function App its host account, the AKS roles it needs, and data roles per container, table and queue', () => {
    const roles = read('bicep/modules/roles.bicep');
    for (const role of ['storageBlobDataOwner', 'storageTableDataContributor', 'storageQueueDataContributor']) {
      expect(roles).toMatch(new RegExp(`guid\\(hostStorage\\.id, functionPrincipalId, ${role}\\)`));
    }
    expect(roles).toMatch(/guid\(functionContainerScopes\[i\]\.id, functionPrincipalId, storageBlobDataContributor\)/);
    expect(roles).toMatch(/guid\(functionTableScopes\[i\]\.id, functionPrincipalId, storageTableDataContributor\)/);
    expect(roles).toMatch(/guid\(functionQueueScopes\[i\]\.id, functionPrincipalId, storageQueueDataContributor\)/);
    for (const role of ['monitoringMetricsPublisher', 'aksClusterUser', 'poolScalerRole.id', 'aksRbacWriter']) {
      expect(roles).toMatch(new RegExp(`guid\\(\\w+\\.id, functionPrincipalId, ${role.replace('.', '\\.')}\\)`));
    }
    expect(roles).toContain("'Microsoft.ContainerService/managedClusters/agentPools/write'");
  });
});

describe('least privilege (data roles scoped below the account)', () => {
  const roles = read('bicep/modules/roles.bicep');
  const main = read('bicep/main.bicep');
  const assignments = resourceBlocks(roles, 'Microsoft.Authorization/roleAssignments');
  const arrayVar = (text: string, name: string): string[] => (new RegExp(`(?:var\\s+|^\\s+)${name}\\s*[=:]\\s*\\[([^\\]]*)\\]`, 'm').exec(text)?.[1] ?? '').match(/'[^']+'/g)?.map((x) => x.slice(1, -1)) ?? [];
  /** The existing-resource type behind each scope symbol of roles.bicep. */
  const scopeType = new Map([...roles.matchAll(/^resource\s+(\w+)\s+'([^'@]+)@[^']+'\s+existing/gm)].map((m) => [m[1], m[2]]));
  const scopeOf = (body: string): string => /\n\s*scope:\s*(\w+)/.exec(body)?.[1] ?? '';

  it('no storage data role is granted on a whole data account; only the Function App holds roles on the host account', () => {
    const storageRoles = assignments.filter((a) => /storage(Blob|Table|Queue)Data/.test(a.body));
    expect(storageRoles.length).toBeGreaterThanOrEqual(9);
    for (const a of storageRoles) {
      const scope = scopeOf(a.body);
      expect(scope, a.symbol).not.toBe('dataStorage');
      if (scope === 'hostStorage') expect(a.body, a.symbol).toMatch(/principalId: functionPrincipalId/);
      else expect(scopeType.get(scope), `${a.symbol} scope ${scope}`).toMatch(/\/(containers|tables|queues)$/);
    }
  });

  it('the trainer gets read on sales, drivers and overrides, write on models and four tables: never access, ingestions, uploads, rejected or the host account', () => {
    const trainer = assignments.filter((a) => /principalId: trainingPrincipalId/.test(a.body));
    expect(trainer.map((a) => a.symbol).sort()).toEqual(['trainingMetrics', 'trainingReadBlob', 'trainingReadTable', 'trainingTable', 'trainingWriteBlob']);
    // Telemetry only, on the Application Insights component: the trainer's spans join the refresh's trace.
    expect(/resource trainingMetrics[\s\S]*?scope: appInsights[\s\S]*?roleDefinitionId: monitoringMetricsPublisher/.test(roles)).toBe(true);
    for (const a of trainer.filter((t) => t.symbol !== 'trainingMetrics')) {
      const scope = /\n\s*scope:\s*(\w+)\[i\]/.exec(a.body)?.[1];
      expect(scope, a.symbol).toMatch(/^trainer(Read|Write)ContainerScopes$|^trainer(Read)?TableScopes$/);
    }
    expect(arrayVar(main, 'trainerReadContainers')).toEqual(['sales', 'drivers']);
    expect(arrayVar(main, 'trainerWriteContainers')).toEqual(['models']);
    expect(arrayVar(main, 'trainerTables').sort()).toEqual(['forecasts', 'models', 'runs', 'stores']);
    // Promotion overrides are the planners': the trainer reads them and can never write one (or the audit log).
    expect(arrayVar(main, 'trainerReadTables')).toEqual(['overrides']);
    expect(/trainingReadBlob[\s\S]*?roleDefinitionId: (\w+)/.exec(roles)?.[1]).toBe('storageBlobDataReader');
    expect(/trainingReadTable[\s\S]*?roleDefinitionId: (\w+)/.exec(roles)?.[1]).toBe('storageTableDataReader');
    expect(/module roles[\s\S]*?trainerReadTables: trainerReadTables/.test(main)).toBe(true);
    for (const forbidden of ['access', 'ingestions', 'uploads', 'rejected', 'app-package']) {
      for (const list of ['trainerReadContainers', 'trainerWriteContainers', 'trainerTables', 'trainerReadTables']) expect(arrayVar(main, list), `${list} has ${forbidden}`).not.toContain(forbidden);
    }
    expect(/module roles[\s\S]*?trainerTables: trainerTables/.test(main)).toBe(true);
  });

  it('the data lives in its own account; the host account holds only the deployment package', () => {
    expect(main).toMatch(/module dataStorage 'modules\/storage\.bicep'/);
    expect(/module storage 'modules\/storage\.bicep' = \{[\s\S]*?containerNames: \[deploymentContainerName\]\n/.test(main)).toBe(true);
    expect(/module storage 'modules\/storage\.bicep' = \{[\s\S]*?\n\}/.exec(main)?.[0]).not.toMatch(/tableNames|queueNames/);
  });

  it('Event Grid delivers uploads to a queue with its own identity, scoped to that queue', () => {
    const events = read('bicep/modules/events.bicep');
    expect(events).toMatch(/endpointType: 'StorageQueue'/);
    expect(events).toMatch(/deliveryWithResourceIdentity:/);
    expect(events).toMatch(/subjectBeginsWith: '\/blobServices\/default\/containers\/\$\{uploadsContainer\}\/'/);
    expect(events).not.toMatch(/endpointType: 'WebHook'/);
    const sender = resourceBlocks(events, 'Microsoft.Authorization/roleAssignments');
    expect(sender).toHaveLength(1);
    expect(sender[0]?.body).toMatch(/scope: queue\n/);
    expect(events).toMatch(/dependsOn: \[topicSender\]/);
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

  it('the workflows use no stored secrets and sign in with OIDC', () => {
    for (const file of filesUnder(join(root, '.github', 'workflows'), /\.ya?ml$/)) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/\$\{\{\s*secrets\./);
      expect(text, file).not.toMatch(/publish-profile|creds:/);
    }
    const text = read('.github/workflows/deploy-stage.yml');
    const workflow = parse(text) as { jobs: Record<string, { permissions?: Record<string, string>; steps?: { uses?: string; with?: Record<string, unknown> }[] }> };
    const loginJobs = Object.entries(workflow.jobs).filter(([, job]) => job.steps?.some((s) => s.uses?.startsWith('azure/login@')));
    expect(loginJobs.map(([name]) => name)).toEqual(['deploy']);
    for (const [name, job] of loginJobs) {
      expect(job.permissions?.['id-token'], name).toBe('write');
      for (const login of job.steps?.filter((s) => s.uses?.startsWith('azure/login@')) ?? []) {
        expect(Object.keys(login.with ?? {}).sort(), name).toEqual(['client-id', 'subscription-id', 'tenant-id']);
      }
    }
  });

  it('a stage signs in again (OIDC) after the deploy gate, after Bicep and before the smoke test', () => {
    // An OIDC sign-in mints new tokens only while its GitHub assertion lives (minutes); the gate can wait 90.
    const workflow = parse(read('.github/workflows/deploy-stage.yml')) as { jobs: { deploy: { env?: Record<string, string>; steps: { uses?: string; run?: string }[] } } };
    const steps = workflow.jobs.deploy.steps;
    const logins = steps.map((s, i) => (s.uses?.startsWith('azure/login@') ? i : -1)).filter((i) => i >= 0);
    const at = (pattern: RegExp): number => steps.findIndex((s) => pattern.test(s.run ?? ''));
    const [gate, bicep, push, smoke] = [at(/deploy-window\.sh/), at(/az deployment group create/), at(/docker push/), at(/smoke\.sh/)];
    expect(logins.some((i) => i < gate), 'a sign-in before the gate').toBe(true);
    expect(logins.some((i) => i > gate && i < bicep), 'a sign-in between the gate and Bicep').toBe(true);
    expect(logins.some((i) => i > bicep && i < push), 'a sign-in between Bicep and the image push').toBe(true);
    expect(logins.some((i) => i > push && i < smoke), 'a sign-in before the smoke test').toBe(true);
    // The gate and the smoke test sign in again themselves while they poll (scripts/ci/az-session.sh).
    expect(workflow.jobs.deploy.env).toMatchObject({ AZURE_CLIENT_ID: '${{ vars.AZURE_CLIENT_ID }}', AZURE_TENANT_ID: '${{ vars.AZURE_TENANT_ID }}' });
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

  it('the data account has the tables, containers and queues the app uses', () => {
    const main = read('bicep/main.bicep');
    const data = /var data = \{([\s\S]*?)\n\}/.exec(main)?.[1] ?? '';
    const list = (name: string) => (new RegExp(`${name}: \\[([^\\]]*)\\]`).exec(data)?.[1] ?? '').match(/'[^']+'/g)?.map((x) => x.slice(1, -1)) ?? [];
    expect(list('tables').sort()).toEqual(['access', 'forecasts', 'ingestions', 'models', 'overrides', 'ratelimits', 'realised', 'runs', 'stores']);
    expect(list('containers').sort()).toEqual(['drivers', 'models', 'rejected', 'sales', 'uploads']);
    expect(data).toMatch(/ingestQueue: 'ingest-events'/);
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
    expect(functions).toMatch(/runtime:\s*\{\s*name:\s*'node'\s*version:\s*'22'\s*\}/);
  });

  it('reaches the data account through the FOREACT_STORAGE identity connection', () => {
    for (const setting of ['FOREACT_STORAGE__blobServiceUri', 'FOREACT_STORAGE__tableServiceUri', 'FOREACT_STORAGE__queueServiceUri']) expect(functions).toContain(`${setting}:`);
    expect(functions).toMatch(/FOREACT_STORAGE__credential: 'managedidentity'/);
  });
});

describe('no forged principals: the Function App accepts only the Static Web App (and trusted app tokens)', () => {
  const swa = read('bicep/modules/static-web-app-backend.bicep');
  const [auth] = resourceBlocks(swa, 'Microsoft.Web/sites/config');

  it('declares authsettingsV2 on the linked Function App, after the link', () => {
    expect(auth?.body).toMatch(/parent: functionApp\n/);
    expect(auth?.body).toMatch(/name: 'authsettingsV2'/);
    expect(auth?.body).toMatch(/dependsOn: \[backend\]/);
    expect(swa).toMatch(/backendResourceId: functionApp\.id/);
  });

  it('requires authentication and answers 401 otherwise, with no anonymous paths', () => {
    expect(auth?.body).toMatch(/platform: \{\s*enabled: true/);
    expect(auth?.body).toMatch(/requireAuthentication: true/);
    expect(auth?.body).toMatch(/unauthenticatedClientAction: 'Return401'/);
    expect(auth?.body).not.toMatch(/excludedPaths/);
    expect(auth?.body).not.toMatch(/AllowAnonymous/);
  });

  it('trusts the Static Web App provider, Entra only for listed applications, and no social provider', () => {
    expect(auth?.body).toMatch(/azureStaticWebApps: \{\s*enabled: true\s*registration: \{ clientId: site\.properties\.defaultHostname \}/);
    expect(auth?.body).toMatch(/allowedApplications: trustedClientAppIds/);
    for (const p of ['apple', 'facebook', 'gitHub', 'google', 'legacyMicrosoftAccount', 'twitter']) expect(auth?.body).toMatch(new RegExp(`${p}: \\{ enabled: false \\}`));
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

describe('Container Insights: pod logs reach Log Analytics', () => {
  const aks = read('bicep/modules/aks.bicep');
  const [rule] = resourceBlocks(aks, 'Microsoft.Insights/dataCollectionRules');
  const [association] = resourceBlocks(aks, 'Microsoft.Insights/dataCollectionRuleAssociations');

  it('the monitoring add-on authenticates with its managed identity', () => {
    expect(aks).toMatch(/omsagent: \{\s*enabled: true\s*config: \{\s*logAnalyticsWorkspaceResourceID: logAnalyticsWorkspaceId\s*useAADAuth: 'true'/);
  });

  it('a data collection rule with the ContainerInsights extension sends ContainerLogV2 of the training namespace to the workspace', () => {
    expect(rule, 'dataCollectionRules in aks.bicep').toBeDefined();
    const body = rule?.body ?? '';
    expect(body).toMatch(/extensionName: 'ContainerInsights'/);
    expect(body).toMatch(/streams: containerInsightsStreams/);
    const streams = (/var containerInsightsStreams = \[([^\]]*)\]/.exec(aks)?.[1] ?? '').match(/'[^']+'/g)?.map((x) => x.slice(1, -1)) ?? [];
    expect(streams).toContain('Microsoft-ContainerLogV2');
    expect(streams, 'pod labels (foreact/run) for the run → pod join').toContain('Microsoft-KubePodInventory');
    expect(streams).not.toContain('Microsoft-ContainerLog');
    expect(body).toMatch(/enableContainerLogV2: true/);
    expect(body).toMatch(/namespaceFilteringMode: 'Include'/);
    expect(body).toMatch(/namespaces: \[trainingNamespace\]/);
    expect(body).toMatch(/workspaceResourceId: logAnalyticsWorkspaceId/);
    expect(body).toMatch(/dataFlows: \[\s*\{ streams: containerInsightsStreams, destinations: \['ciworkspace'\] \}/);
    expect(body).toMatch(/name: 'ciworkspace'/);
  });

  it('is associated with the cluster', () => {
    expect(association?.body).toMatch(/scope: cluster\n/);
    expect(association?.body).toMatch(/dataCollectionRuleId: containerInsightsRule\.id/);
    expect(association?.body).toMatch(/name: 'ContainerInsightsExtension'/);
  });
});

describe('alerts', () => {
  const alerts = read('bicep/modules/alerts.bicep');
  const main = read('bicep/main.bicep');
  const roles = read('bicep/modules/roles.bicep');
  const rules = resourceBlocks(alerts, 'Microsoft.Insights/scheduledQueryRules');
  const bySymbol = new Map(rules.map((r) => [r.symbol, r.body]));
  /** The query text of a rule: the `let` lines alerts.bicep prepends, then the .kql file it loads. */
  const query = (symbol: string): { lets: string[]; kql: string; file: string } => {
    const varName = /query: (\w+) \}/.exec(bySymbol.get(symbol) ?? '')?.[1] ?? '';
    const text = new RegExp(`^var ${varName} = '(.*)'$`, 'm').exec(alerts)?.[1] ?? '';
    const file = /loadTextContent\('\.\.\/(alerts\/[\w-]+\.kql)'\)/.exec(text)?.[1] ?? '';
    const lets = [...text.matchAll(/let (\w+) = /g)].map((m) => m[1] ?? '');
    return { lets, kql: file ? read(join('bicep', file)) : '', file };
  };

  it('an action group e-mails the addresses of the alertEmails parameter', () => {
    const [group] = resourceBlocks(alerts, 'Microsoft.Insights/actionGroups');
    expect(group?.body).toMatch(/location: 'global'/);
    expect(group?.body).toMatch(/emailReceivers: \[\s*for \(address, i\) in emailAddresses: \{[\s\S]*?emailAddress: trim\(address\)/);
    expect(main).toMatch(/^param alertEmails string = ''$/m);
    expect(main).toMatch(/var alertEmailAddresses = filter\(split\(alertEmails, ','\)/);
    expect(main).toMatch(/module alerts 'modules\/alerts\.bicep' = \{[\s\S]*?emailAddresses: alertEmailAddresses\n/);
  });

  it('four log search rules, each wired to the action group, stateful, over the workspace, with their own identity', () => {
    expect([...bySymbol.keys()].sort()).toEqual(['accuracyAlert', 'http5xxAlert', 'ingestionAlert', 'morningRunAlert']);
    expect(alerts).toMatch(/var actions = \{\s*actionGroups: \[actionGroup\.id\]/);
    for (const [symbol, body] of bySymbol) {
      expect(body, symbol).toMatch(/\n {4}actions: actions\n/);
      expect(body, symbol).toMatch(/kind: 'LogAlert'/);
      expect(body, symbol).toMatch(/scopes: \[workspaceId\]/);
      expect(body, symbol).toMatch(/identity: \{ type: 'SystemAssigned' \}/);
      expect(body, symbol).toMatch(/autoMitigate: true/);
      expect(body, symbol).toMatch(/enabled: enabled/);
      const severity = Number(/severity: (\d)/.exec(body)?.[1]);
      expect(severity, symbol).toBeGreaterThanOrEqual(0);
      expect(severity, symbol).toBeLessThanOrEqual(3);
      const frequency = /evaluationFrequency: '(\w+)'/.exec(body)?.[1];
      const windowSize = /windowSize: '(\w+)'/.exec(body)?.[1];
      expect(frequency, symbol).toMatch(/^PT(\d+)[MH]$/);
      // A log search alert looks back at most two days.
      expect(['PT5M', 'PT15M', 'PT1H', 'PT6H', 'P1D', 'P2D'], symbol).toContain(windowSize);
    }
    expect(alerts).toMatch(/var anyRow = \{\s*timeAggregation: 'Count'\s*operator: 'GreaterThan'\s*threshold: 0/);
    expect(main).toMatch(/output alertActionGroupId string = alerts\.outputs\.actionGroupId/);
  });

  it('every parameter a query uses is prepended, and the .kql says which to paste when run by hand', () => {
    for (const symbol of bySymbol.keys()) {
      const { lets, kql, file } = query(symbol);
      expect(file, symbol).not.toBe('');
      expect(lets.length, symbol).toBeGreaterThan(0);
      const pasteLine = /^\/\/\s+(let .*)$/m.exec(kql)?.[1] ?? '';
      expect([...pasteLine.matchAll(/let (\w+) = /g)].map((m) => m[1]), `${file}: the paste-first line`).toEqual(lets);
      const body = kql.replace(/^\/\/.*$/gm, '');
      for (const name of lets) expect(body, `${file} uses ${name}`).toMatch(new RegExp(`\\b${name}\\b`));
      expect(body.split('(').length, `${file}: parentheses balance`).toBe(body.split(')').length);
    }
  });

  it('morning run: fires at the configured local deadline when MorningRunCompleted is missing or foreact.stores.stale_share is too high', () => {
    const { kql } = query('morningRunAlert');
    expect(kql).toMatch(/AppEvents[\s\S]*Name == "MorningRunCompleted"/);
    expect(kql).toMatch(/AppMetrics[\s\S]*Name == "foreact\.stores\.stale_share"/);
    for (const dimension of ['runId', 'stores', 'stale', 'failed', 'finishedAt']) expect(kql).toContain(`Properties.${dimension}`);
    expect(kql).toMatch(/datetime_utc_to_local\(now\(\), timeZone\)/);
    expect(kql).toMatch(/isPastDeadline and \(not\(finished\) or staleShare > maxStaleShare\)/);
    expect(alerts).toMatch(/let timeZone = "\$\{timeZone\}";\\nlet deadlineLocal = totimespan\("\$\{morningDeadlineLocal\}"\);\\nlet maxStaleShare = \$\{maxStaleSharePercent\} \/ 100\.0;/);
    expect(main).toMatch(/^param morningDeadlineLocal string = '08:30'$/m);
    expect(main).toMatch(/^param alertTimeZone string = '[A-Za-z]+\/[A-Za-z_]+'$/m);
    expect(bySymbol.get('morningRunAlert')).toMatch(/evaluationFrequency: 'PT5M'\s*windowSize: 'P1D'/);
    expect(bySymbol.get('morningRunAlert')).toMatch(/severity: 1/);
  });

  it('5xx: requests with resultCode >= 500, as a rate over 15 minutes with a minimum count', () => {
    const { kql } = query('http5xxAlert');
    expect(kql).toMatch(/^AppRequests$/m);
    expect(kql).toMatch(/countif\(toint\(ResultCode\) >= 500\)/);
    expect(kql).toMatch(/failedPercent = round\(100\.0 \* failed \/ requests, 1\)/);
    expect(kql).toMatch(/where failed >= minFailed and failedPercent >= maxFailedPercent/);
    expect(bySymbol.get('http5xxAlert')).toMatch(/windowSize: 'PT15M'/);
  });

  it('ingestion: failures of ingest-sales and messages put on the poison queue', () => {
    const { kql } = query('ingestionAlert');
    for (const table of ['AppExceptions', 'AppTraces', 'AppRequests', 'StorageQueueLogs']) expect(kql).toContain(`(${table}`);
    expect(kql.match(/OperationName == ingestFunction/g)).toHaveLength(3);
    expect(kql).toMatch(/OperationName == "PutMessage" and ObjectKey contains strcat\("\/", poisonQueue\)/);
    expect(kql).toMatch(/^union isfuzzy=true$/m);
    expect(main).toMatch(/module alerts[\s\S]*?ingestFunctionName: 'ingest-sales'\n\s*ingestPoisonQueue: data\.ingestPoisonQueue\n/);
    expect(read('functions/ingest-sales.ts')).toMatch(/app\.storageQueue\('ingest-sales'/);
    // The poison queue's resource logs reach the workspace.
    expect(read('bicep/modules/storage.bicep')).toMatch(/resource queueDiagnostics[\s\S]*?category: 'StorageWrite', enabled: true/);
  });

  it('accuracy: realised WAPE above k × backtest WAPE per store, k a parameter (default 2)', () => {
    const { kql } = query('accuracyAlert');
    expect(kql).toMatch(/Name == "foreact\.store\.realised_wape"/);
    expect(kql).toContain('Properties.store');
    expect(kql).toContain('Properties.backtest_wape');
    expect(kql).toMatch(/summarize arg_max\(TimeGenerated, realisedWape, backtestWape\) by store/);
    expect(kql).toMatch(/realisedWape > factor \* backtestWape/);
    expect(alerts).toMatch(/let factor = \$\{accuracyFactorPercent\} \/ 100\.0;/);
    expect(main).toMatch(/^param alertAccuracyFactorPercent int = 200$/m);
  });

  it('the rules\' identities get Log Analytics Reader on the workspace and nothing else; the alerts module assigns no roles', () => {
    expect(resourceBlocks(alerts, 'Microsoft.Authorization/roleAssignments')).toHaveLength(0);
    expect(alerts).not.toMatch(/UserAssigned/);
    expect(alerts).toMatch(/output rulePrincipalIds array = \[\s*morningRunAlert\.identity\.principalId\s*http5xxAlert\.identity\.principalId\s*ingestionAlert\.identity\.principalId\s*accuracyAlert\.identity\.principalId\s*\]/);
    expect(main).toMatch(/module roles[\s\S]*?alertRulePrincipalIds: alerts\.outputs\.rulePrincipalIds\n/);
    const readers = resourceBlocks(roles, 'Microsoft.Authorization/roleAssignments').filter((a) => /alertRulePrincipalIds/.test(a.body));
    expect(readers.map((a) => a.symbol)).toEqual(['alertRuleReader']);
    expect(readers[0]?.body).toMatch(/scope: workspace\n/);
    expect(readers[0]?.body).toMatch(/roleDefinitionId: logAnalyticsReader\n/);
    expect(roles).toMatch(/resource workspace 'Microsoft\.OperationalInsights\/workspaces@[\w-]+' existing = \{\s*name: logAnalyticsWorkspaceName\s*\}/);
    // Nobody else gets a Log Analytics role.
    expect(resourceBlocks(roles, 'Microsoft.Authorization/roleAssignments').filter((a) => /logAnalyticsReader/.test(a.body))).toHaveLength(1);
  });
});

describe('training Job and NetworkPolicy', () => {
  type Container = { name: string; image: string; securityContext?: Record<string, unknown>; volumeMounts?: { name: string; mountPath: string }[] };
  const job = parse(read('k8s-training/job.yaml')) as {
    spec: {
      backoffLimit: number;
      podFailurePolicy?: { rules: { action: string; onExitCodes?: { containerName?: string; operator: string; values: number[] }; onPodConditions?: { type: string }[] }[] };
      template: { spec: { restartPolicy: string; securityContext?: Record<string, unknown>; containers: Container[]; volumes?: { name: string; emptyDir?: object }[] } };
    };
  };
  const pod = job.spec.template.spec;
  const container = pod.containers[0]!;

  it('runs as the non-root node user with a read-only root, no capabilities and RuntimeDefault seccomp', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
  });

  it('gets a writable /tmp from an emptyDir', () => {
    expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes?.find((v) => v.name === 'tmp')?.emptyDir).toBeDefined();
  });

  it('fails at once on a configuration error, ignores disruptions, keeps backoffLimit', () => {
    expect(job.spec.backoffLimit).toBeGreaterThan(0);
    expect(pod.restartPolicy).toBe('Never');
    const rules = job.spec.podFailurePolicy?.rules ?? [];
    const failJob = rules.find((r) => r.action === 'FailJob');
    expect(failJob?.onExitCodes).toMatchObject({ containerName: container.name, operator: 'In' });
    expect(failJob?.onExitCodes?.values).toContain(2);
    expect(rules.find((r) => r.action === 'Ignore')?.onPodConditions).toContainEqual({ type: 'DisruptionTarget' });
  });

  it('keeps finished Jobs a day (failed ones too: pod logs outlive them in ContainerLogV2)', () => {
    expect((job.spec as { ttlSecondsAfterFinished?: number }).ttlSecondsAfterFinished).toBe(86400);
  });

  it('keeps the fields the dispatcher fills where core/adapters/dispatch/aks.ts expects them', () => {
    const text = read('k8s-training/job.yaml');
    for (const field of ['  name: FILLED', 'serviceAccountName: FILLED', 'agentpool: FILLED', 'image: FILLED', 'foreact/run: FILLED']) expect(text).toContain(field);
    expect(container.name).toBe('trainer');
  });

  it('the NetworkPolicy selects the trainer pods, allows no ingress and only DNS and HTTPS out', () => {
    const policy = parse(read('k8s-training/network-policy.yaml')) as {
      kind: string;
      spec: { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress: unknown[]; egress: { ports: { protocol: string; port: number }[] }[] };
    };
    expect(policy.kind).toBe('NetworkPolicy');
    expect(policy.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'foreact-trainer' });
    expect((parse(read('k8s-training/job.yaml')) as { spec: { template: { metadata: { labels: Record<string, string> } } } }).spec.template.metadata.labels['app.kubernetes.io/name']).toBe('foreact-trainer');
    expect(policy.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    expect(policy.spec.ingress).toEqual([]);
    const ports = policy.spec.egress.flatMap((r) => r.ports.map((p) => `${p.protocol}/${p.port}`)).sort();
    expect(ports).toEqual(['TCP/443', 'TCP/53', 'UDP/53']);
  });
});

describe('workflows', () => {
  const workflows = filesUnder(join(root, '.github', 'workflows'), /\.ya?ml$/).map((p) => ({ file: relative(root, p), text: readFileSync(p, 'utf8') }));

  it('pin every action by a full commit SHA with the version in a comment', () => {
    let uses = 0;
    for (const { file, text } of workflows) {
      for (const m of text.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)) {
        const [ref, rest] = [m[1] ?? '', m[2] ?? ''];
        if (ref.startsWith('./')) continue;
        uses++;
        expect(ref, `${file}: ${ref}`).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
        expect(rest, `${file}: ${ref}`).toMatch(/#\s*v\d+\.\d+\.\d+/);
      }
    }
    expect(uses).toBeGreaterThan(0);
  });

  it('run Node 22 (the Azure runtime) in the deploy build', () => {
    expect(read('.github/workflows/deploy.yml')).toMatch(/node-version: '22'/);
  });

  it('build once, promote the same artifact dev → test → prod, prod only from main', () => {
    const deploy = parse(read('.github/workflows/deploy.yml')) as { jobs: Record<string, { needs?: string; if?: string; uses?: string; with?: Record<string, string> }> };
    expect(deploy.jobs.dev).toMatchObject({ needs: 'build', uses: './.github/workflows/deploy-stage.yml', with: { environment: 'dev' } });
    expect(deploy.jobs.test).toMatchObject({ needs: 'dev', with: { environment: 'test' } });
    expect(deploy.jobs.prod).toMatchObject({ needs: 'test', with: { environment: 'prod' } });
    expect(deploy.jobs.prod?.if).toBe("github.ref == 'refs/heads/main'");
    expect(read('.github/workflows/deploy.yml')).toMatch(/npm run package/);
    const stage = read('.github/workflows/deploy-stage.yml');
    expect(stage).not.toMatch(/npm (ci|run)|docker build|az acr build/);
    expect(stage).toMatch(/environment: \$\{\{ inputs\.environment \}\}/);
  });

  it('each stage: gate, Bicep, push the image before the setting points at it, smoke test last', () => {
    const stage = parse(read('.github/workflows/deploy-stage.yml')) as { jobs: { deploy: { steps: { name?: string; run?: string }[] } } };
    const steps = stage.jobs.deploy.steps;
    const at = (pattern: RegExp): number => steps.findIndex((s) => pattern.test(s.run ?? ''));
    const gate = at(/deploy-window\.sh/);
    const bicep = at(/az deployment group create/);
    const push = at(/docker push/);
    const setting = at(/FOREACT_AKS_IMAGE=/);
    const smoke = at(/smoke\.sh/);
    expect(gate).toBeGreaterThanOrEqual(0);
    expect([gate, bicep, push, setting, smoke]).toEqual([...[gate, bicep, push, setting, smoke]].sort((a, b) => a - b));
    expect(smoke).toBe(steps.length - 1);
    // The Event Grid subscription is Bicep now: no step may create it (or swallow its failure).
    expect(read('.github/workflows/deploy-stage.yml')).not.toMatch(/event-subscription create|exit 0/);
  });
});

