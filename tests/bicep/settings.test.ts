import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';

/**
 * What the Bicep hands the app, and what the docs say it creates, checked against the code and each other:
 * - every Function App setting Bicep sets is read by core/config.ts (or, named here with the reason, by
 *   the Functions host itself), so a stale setting cannot sit in the template looking meaningful;
 * - docs/deployment.md lists exactly the data tables Bicep creates, in the resources and the role table;
 * - the Entra provider that admits app-only tokens exists only with a non-empty allowlist, and the app
 *   gets the same allowlist (FOREACT_TRUSTED_APP_IDS). The Bicep expressions involved are evaluated for
 *   each combination of parameters (a small evaluator for the subset they use: no Bicep CLI here).
 */

const root = join(__dirname, '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
const main = read('bicep/main.bicep');
const functions = read('bicep/modules/functions.bicep');
const swa = read('bicep/modules/static-web-app.bicep');
const swaBackend = read('bicep/modules/static-web-app-backend.bicep');
const config = read('core/config.ts');
const deployment = read('docs/deployment.md');

/** The text between `start` and its matching close bracket. */
function block(text: string, start: RegExp): string {
  const m = start.exec(text);
  if (!m) throw new Error(`no ${start.source}`);
  let depth = 0;
  for (let i = m.index + m[0].length - 1; i < text.length; i++) {
    if (text[i] === '{' || text[i] === '[') depth++;
    else if (text[i] === '}' || text[i] === ']') depth--;
    if (depth === 0) return text.slice(m.index + m[0].length, i);
  }
  throw new Error(`unbalanced ${start.source}`);
}

/** `key: value` lines directly inside an object block (single-line values only; `//` inside a string is not a comment). */
function entries(body: string, indent: number): Map<string, string> {
  return new Map([...body.matchAll(new RegExp(`^ {${indent}}(\\w+): ((?:'(?:[^'\\\\\\n]|\\\\.)*'|[^'\\n])+?)\\s*(?://.*)?$`, 'gm'))].map((m) => [m[1]!, m[2]!]));
}

/** Bicep string interpolation (`'https://${host}'`) as JavaScript concatenation (`('https://' + (host) + '')`). */
function interpolate(expr: string): string {
  let out = '';
  for (let i = 0; i < expr.length; ) {
    if (expr[i] !== "'") {
      out += expr[i++];
      continue;
    }
    const parts: string[] = [];
    let literal = '';
    for (i++; i < expr.length && expr[i] !== "'"; ) {
      if (expr[i] === '\\') {
        literal += expr.slice(i, i + 2);
        i += 2;
      } else if (expr.startsWith('${', i)) {
        let depth = 1;
        let j = i + 2;
        for (; j < expr.length && depth > 0; j++) depth += expr[j] === '{' ? 1 : expr[j] === '}' ? -1 : 0;
        parts.push(`'${literal}'`, `(${interpolate(expr.slice(i + 2, j - 1))})`);
        literal = '';
        i = j;
      } else literal += expr[i++];
    }
    if (i >= expr.length) throw new Error(`unterminated string: ${expr}`);
    i++;
    parts.push(`'${literal}'`);
    out += parts.length === 1 ? parts[0] : `(${parts.join(' + ')})`;
  }
  return out;
}

/** Evaluates a single-line Bicep expression of the subset used here (literals, arrays, interpolated strings, property access, !, &&, ||, ?:, empty, join, concat). */
function evaluate(expr: string, scope: Record<string, unknown>): unknown {
  if (/[`;]|=>|\bfunction\b|\bnew\b/.test(expr)) throw new Error(`not in the evaluated subset: ${expr}`);
  const helpers = {
    empty: (v: unknown) => v === null || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && Object.keys(v).length === 0),
    join: (a: unknown[], s: string) => a.join(s),
    concat: (...arrays: unknown[][]) => arrays.flat(),
  };
  // A fresh context holding only the helpers and the scope; JSON brings the value back into this realm.
  const value: unknown = runInNewContext(`JSON.stringify(${interpolate(expr)})`, { ...helpers, ...scope });
  return typeof value === 'string' ? (JSON.parse(value) as unknown) : undefined;
}

/** A module's parameter defaults (`param x type = <single-line expr>`), evaluated. */
function defaults(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of text.matchAll(/^param (\w+) \w+ = (.+)$/gm)) {
    try {
      out[m[1]!] = evaluate(m[2]!, {});
    } catch {
      // references another declaration (resourceGroup().location, ...): not needed here
    }
  }
  return out;
}

/**
 * What main.bicep passes to a module, evaluated for the given main parameters (values that need Azure are
 * left out, unless `deployed` stands in for them: other modules' outputs, by module symbol).
 */
function moduleParams(symbol: string, mainParams: Record<string, unknown>, deployed: Record<string, { outputs: Record<string, unknown> }> = {}): Record<string, unknown> {
  const scope: Record<string, unknown> = { ...defaults(main), ...mainParams, ...deployed };
  for (const m of main.matchAll(/^var (\w+) = (.+)$/gm)) {
    try {
      scope[m[1]!] = evaluate(m[2]!, scope);
    } catch {
      // a var of another shape (objects, filter lambdas): not needed here
    }
  }
  const passed = entries(block(main, new RegExp(`^module ${symbol} '[^']+' = \\{[\\s\\S]*?\\n {2}params: \\{`, 'm')), 4);
  const out: Record<string, unknown> = {};
  for (const [name, expr] of passed) {
    try {
      out[name] = evaluate(expr, scope);
    } catch {
      // module outputs, resource functions
    }
  }
  return out;
}

describe('Function App settings set by Bicep are read by the app', () => {
  const settings = entries(block(functions, /^var baseSettings = \{/m), 2);
  /** Read by the Functions host, not by core/config.ts. */
  const HOST_READS: Readonly<Record<string, string>> = {
    AzureWebJobsStorage__accountName: 'the host\'s own storage (task hub, deployment package)',
    AzureWebJobsStorage__credential: 'the host\'s own storage',
    FOREACT_STORAGE__queueServiceUri: 'the ingest-sales queue trigger\'s connection FOREACT_STORAGE',
    FOREACT_STORAGE__credential: 'the ingest-sales queue trigger\'s connection FOREACT_STORAGE',
  };

  /** Settings named in trigger bindings (`%NAME%`), which the host resolves: e.g. the morning timer's schedule. */
  const bindingSettings = new Set(readdirSync(join(root, 'functions')).filter((f) => f.endsWith('.ts')).flatMap((f) => [...read(`functions/${f}`).matchAll(/'%(\w+)%'/g)].map((m) => m[1]!)));

  it('each one is a setting core/config.ts reads, or one the Functions host reads', () => {
    expect(settings.size).toBeGreaterThan(15);
    const unread = [...settings.keys()].filter((name) => {
      if (HOST_READS[name] !== undefined) return false;
      if (new RegExp(`\\b${name}\\b`).test(config) || bindingSettings.has(name)) return false;
      const [prefix, suffix] = name.split('__');
      return !(suffix !== undefined && config.includes(`'${prefix}'`) && config.includes(`\${prefix}__${suffix}\``));
    });
    expect(unread, 'set in bicep/modules/functions.bicep, read by nothing').toEqual([]);
    for (const name of Object.keys(HOST_READS)) expect(settings.has(name), `${name} (HOST_READS) is no longer set`).toBe(true);
  });

  it('the ingestion queue Bicep creates is the one the queue trigger reads', () => {
    const queue = /export const INGEST_EVENTS = \{[^}]*queue: '([^']+)'/.exec(config)?.[1];
    expect(/ingestQueue: '([^']+)'/.exec(main)?.[1]).toBe(queue);
  });
});

describe('docs/deployment.md lists the data tables Bicep creates', () => {
  const bicepTables = (/tables: \[([^\]]*)\]/.exec(block(main, /^var data = \{/m))?.[1] ?? '').match(/'[^']+'/g)?.map((t) => t.slice(1, -1)).sort() ?? [];
  const names = (text: string): string[] => [...text.matchAll(/`([\w-]+)`/g)].map((m) => m[1]!).sort();

  it('Bicep creates the tables core/config.ts names', () => {
    const configTables = [...config.matchAll(/FOREACT_TABLE_\w+: (?:forTrainers\()?named\(tableName, '([\w-]+)'\)/g)].map((m) => m[1]!).sort();
    expect(configTables.length).toBeGreaterThanOrEqual(8);
    expect(bicepTables).toEqual(configTables);
  });

  it('in "What gets created"', () => {
    const row = /^\| `storage\.bicep` ×2 \|(.*)$/m.exec(deployment)?.[1] ?? '';
    expect(names(/data\*\* account: tables ([^;]*);/.exec(row)?.[1] ?? '')).toEqual(bicepTables);
  });

  it('in the role table (the Function App\'s Storage Table Data Contributor on each data table)', () => {
    const row = /^\| \| Storage Table Data Contributor \| each data table: (.*)\|$/m.exec(deployment)?.[1] ?? '';
    expect(names(row)).toEqual(bicepTables);
    expect(/functionTables: data\.tables\n/.test(main)).toBe(true);
  });
});

describe('app-only Entra tokens: only with a non-empty allowlist, and the app gets the same list', () => {
  const aad = block(swaBackend, /azureActiveDirectory: \{/);
  const aadEnabled = /^ {8}enabled: (.+)$/m.exec(aad)?.[1] ?? 'missing';
  const aadAllowed = /allowedApplications: (.+)$/m.exec(aad)?.[1] ?? 'missing';
  const settings = entries(block(functions, /^var baseSettings = \{/m), 2);

  function deploy(apiAppClientId: string, smokeClientId: string) {
    const swaScope = { ...defaults(swaBackend), ...moduleParams('staticWebAppBackend', { apiAppClientId, smokeClientId }) };
    const fnScope = { ...defaults(functions), ...moduleParams('functions', { apiAppClientId, smokeClientId }) };
    return {
      entraEnabled: evaluate(aadEnabled, swaScope),
      allowedApplications: evaluate(aadAllowed, swaScope),
      trustedAppIds: evaluate(settings.get('FOREACT_TRUSTED_APP_IDS') ?? 'undefined', fnScope),
      operatorStores: evaluate(settings.get('FOREACT_OPERATOR_STORES') ?? 'undefined', fnScope),
    };
  }

  it('an empty smokeClientId (the documented azd path): no Entra provider, no trusted app', () => {
    expect(deploy('11111111-1111-1111-1111-111111111111', '')).toMatchObject({ entraEnabled: false, trustedAppIds: '' });
    expect(deploy('', '')).toMatchObject({ entraEnabled: false, trustedAppIds: '' });
  });

  it('a smoke client without an API app registration: still no provider and no trusted app', () => {
    expect(deploy('', '22222222-2222-2222-2222-222222222222')).toMatchObject({ entraEnabled: false, trustedAppIds: '' });
  });

  it('a smoke client and an API app registration: the provider admits that one application, and the app makes it an operator on the smoke store', () => {
    expect(deploy('11111111-1111-1111-1111-111111111111', '22222222-2222-2222-2222-222222222222')).toEqual({
      entraEnabled: true,
      allowedApplications: ['22222222-2222-2222-2222-222222222222'],
      trustedAppIds: '22222222-2222-2222-2222-222222222222',
      operatorStores: 'smoke',
    });
  });

  it('whenever the provider is on, its allowlist is not empty', () => {
    for (const api of ['', 'api']) for (const smoke of ['', 'sp']) {
      const d = deploy(api, smoke);
      if (d.entraEnabled) expect(d.allowedApplications, `${api}/${smoke}`).not.toEqual([]);
    }
  });
});

describe('FOREACT_APP_ORIGIN: the Static Web App\'s origin reaches the Function App (issue 18 item 13)', () => {
  const settings = entries(block(functions, /^var baseSettings = \{/m), 2);
  // What Azure would return for the site's default hostname: the one value here that needs a deployment.
  const deployed = { staticWebApp: { outputs: { defaultHostName: 'nice-sea-0a1b2c3d4.5.azurestaticapps.net' } } };
  const appOrigin = (mainParams: Record<string, unknown>): unknown =>
    evaluate(settings.get('FOREACT_APP_ORIGIN') ?? 'undefined', { ...defaults(functions), ...moduleParams('functions', mainParams, deployed) });

  it("is the Static Web App's https origin, plus extraAppOrigins, and core/config.ts accepts it", () => {
    expect(appOrigin({})).toBe('https://nice-sea-0a1b2c3d4.5.azurestaticapps.net');
    const withDomains = appOrigin({ extraAppOrigins: ['https://forecast.contoso.com', 'https://prognose.contoso.nl'] });
    expect(withDomains).toBe('https://nice-sea-0a1b2c3d4.5.azurestaticapps.net,https://forecast.contoso.com,https://prognose.contoso.nl');
    expect(loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', FOREACT_APP_ORIGIN: String(withDomains) }).api.appOrigins).toEqual([
      'https://nice-sea-0a1b2c3d4.5.azurestaticapps.net',
      'https://forecast.contoso.com',
      'https://prognose.contoso.nl',
    ]);
  });

  it('the site does not depend on the Function App; the link and the Function App\'s authentication come after both', () => {
    expect(swa).not.toMatch(/Microsoft\.Web\/sites[@/]|functionApp|linkedBackends|authsettingsV2/);
    expect(/^module functions '[^']+' = \{[\s\S]*?^\}/m.exec(main)?.[0]).toMatch(/^ {4}staticWebAppHostName: staticWebApp\.outputs\.defaultHostName$/m);
    const backend = /^module staticWebAppBackend '([^']+)' = \{[\s\S]*?^\}/m.exec(main);
    expect(backend?.[1]).toBe('modules/static-web-app-backend.bicep');
    expect(backend?.[0]).toMatch(/staticWebAppName: staticWebApp\.outputs\.name/);
    expect(backend?.[0]).toMatch(/functionAppName: functions\.outputs\.name/);
    expect(swaBackend).toMatch(/^resource site 'Microsoft\.Web\/staticSites@[^']+' existing = \{/m);
    expect(swaBackend).toMatch(/^resource functionApp 'Microsoft\.Web\/sites@[^']+' existing = \{/m);
  });

  it("main.bicep's modules reference each other's outputs without a cycle", () => {
    const modules = new Map([...main.matchAll(/^module (\w+) '[^']+' = \{([\s\S]*?)^\}/gm)].map((m) => [m[1]!, new Set([...m[2]!.matchAll(/\b(\w+)\.outputs\./g)].map((r) => r[1]!))]));
    expect(modules.get('functions')).toContain('staticWebApp');
    expect([...(modules.get('staticWebAppBackend') ?? [])].sort()).toEqual(['functions', 'staticWebApp']);
    // Kahn: repeatedly drop modules whose references are all dropped; a cycle leaves some behind.
    const left = new Map(modules);
    for (let progress = true; progress; ) {
      progress = false;
      for (const [name, refs] of left) {
        if ([...refs].every((r) => !left.has(r))) {
          left.delete(name);
          progress = true;
        }
      }
    }
    expect([...left.keys()], 'modules in a reference cycle').toEqual([]);
  });
});

describe('the morning schedule is UTC (Flex Consumption has no WEBSITE_TIME_ZONE)', () => {
  it('nothing the deployment reads says the schedule follows WEBSITE_TIME_ZONE', () => {
    const files = ['functions/morning-timer.ts', 'bicep/main.bicep', 'bicep/modules/functions.bicep', 'docs/deployment.md'];
    for (const file of files) {
      for (const line of read(file).split('\n').filter((l) => l.includes('WEBSITE_TIME_ZONE'))) {
        expect(line, file).toMatch(/\bno `?WEBSITE_TIME_ZONE|WEBSITE_TIME_ZONE`? is not supported/i);
      }
    }
    expect(read('bicep/modules/functions.bicep')).not.toMatch(/^\s+WEBSITE_TIME_ZONE:/m);
  });
});

describe("the pooled Job's memory is a deployment parameter the app accepts", () => {
  const param = /((?:@\w+\([^)]*\)\s*)*)param aksPooledMemoryMiB int = (\d+)/.exec(main);
  const bound = (name: string): number => Number(new RegExp(`@${name}\\((\\d+)\\)`).exec(param?.[1] ?? '')?.[1]);

  it('main.bicep hands aksPooledMemoryMiB through the aks object to FOREACT_AKS_POOLED_MEMORY_MIB', () => {
    expect(param, 'param aksPooledMemoryMiB').not.toBeNull();
    expect(main).toMatch(/^\s+pooledMemoryMiB: aksPooledMemoryMiB$/m);
    expect(functions).toMatch(/^\s+FOREACT_AKS_POOLED_MEMORY_MIB: string\(aks\.pooledMemoryMiB\)$/m);
  });

  it('its default, bounds and every environment value are values core/config.ts accepts, the default being the app\'s own', () => {
    const accepted = (mib: number): number => loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', FOREACT_AKS_POOLED_MEMORY_MIB: String(mib) }).dispatch.aks.pooledMemoryMiB;
    const fallback = loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' }).dispatch.aks.pooledMemoryMiB;
    expect(Number(param![2])).toBe(fallback);
    for (const mib of [bound('minValue'), bound('maxValue')]) expect(accepted(mib)).toBe(mib);
    const values = readdirSync(join(root, 'bicep/params')).flatMap((f) => [...read(`bicep/params/${f}`).matchAll(/^param aksPooledMemoryMiB = (\d+)/gm)].map((m) => Number(m[1])));
    expect(values.length).toBeGreaterThan(0);
    for (const v of values) expect(v >= bound('minValue') && v <= bound('maxValue'), `${v} MiB within the parameter's bounds`).toBe(true);
  });
});
