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

  it('the trainer gets read on sales and drivers, write on models and four tables: never access, ingestions, uploads, rejected or the host account', () => {
    const trainer = assignments.filter((a) => /principalId: trainingPrincipalId/.test(a.body));
    expect(trainer.map((a) => a.symbol).sort()).toEqual(['trainingReadBlob', 'trainingTable', 'trainingWriteBlob']);
    for (const a of trainer) {
      const scope = /\n\s*scope:\s*(\w+)\[i\]/.exec(a.body)?.[1];
      expect(scope, a.symbol).toMatch(/^trainer(Read|Write)ContainerScopes$|^trainerTableScopes$/);
    }
    expect(arrayVar(main, 'trainerReadContainers')).toEqual(['sales', 'drivers']);
    expect(arrayVar(main, 'trainerWriteContainers')).toEqual(['models']);
    expect(arrayVar(main, 'trainerTables').sort()).toEqual(['forecasts', 'models', 'runs', 'stores']);
    expect(/trainingReadBlob[\s\S]*?roleDefinitionId: (\w+)/.exec(roles)?.[1]).toBe('storageBlobDataReader');
    for (const forbidden of ['access', 'ingestions', 'uploads', 'rejected', 'app-package']) {
      for (const list of ['trainerReadContainers', 'trainerWriteContainers', 'trainerTables']) expect(arrayVar(main, list), `${list} has ${forbidden}`).not.toContain(forbidden);
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

  it('the data account has the tables, containers and queues the app uses', () => {
    const main = read('bicep/main.bicep');
    const data = /var data = \{([\s\S]*?)\n\}/.exec(main)?.[1] ?? '';
    const list = (name: string) => (new RegExp(`${name}: \\[([^\\]]*)\\]`).exec(data)?.[1] ?? '').match(/'[^']+'/g)?.map((x) => x.slice(1, -1)) ?? [];
    expect(list('tables').sort()).toEqual(['access', 'forecasts', 'ingestions', 'models', 'runs', 'stores']);
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
  const swa = read('bicep/modules/static-web-app.bicep');
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

