import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';

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

/** `key: value` lines directly inside an object block (single-line values only). */
function entries(body: string, indent: number): Map<string, string> {
  return new Map([...body.matchAll(new RegExp(`^ {${indent}}(\\w+): (.+?)\\s*(?://.*)?$`, 'gm'))].map((m) => [m[1]!, m[2]!]));
}

/** Evaluates a single-line Bicep expression of the subset used here (literals, arrays, !, &&, ||, ?:, empty, join). */
function evaluate(expr: string, scope: Record<string, unknown>): unknown {
  if (/[`;]|=>|\bfunction\b|\bnew\b/.test(expr)) throw new Error(`not in the evaluated subset: ${expr}`);
  const helpers = { empty: (v: unknown) => v === null || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && Object.keys(v).length === 0), join: (a: unknown[], s: string) => a.join(s) };
  // A fresh context holding only the helpers and the scope; JSON brings the value back into this realm.
  const value: unknown = runInNewContext(`JSON.stringify(${expr})`, { ...helpers, ...scope });
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

/** What main.bicep passes to a module, evaluated for the given main parameters (values that need Azure are left out). */
function moduleParams(symbol: string, mainParams: Record<string, unknown>): Record<string, unknown> {
  const scope: Record<string, unknown> = { ...mainParams };
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
    const configTables = [...config.matchAll(/FOREACT_TABLE_\w+: named\(tableName, '([\w-]+)'\)/g)].map((m) => m[1]!).sort();
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
  const aad = block(swa, /azureActiveDirectory: \{/);
  const aadEnabled = /^ {8}enabled: (.+)$/m.exec(aad)?.[1] ?? 'missing';
  const aadAllowed = /allowedApplications: (.+)$/m.exec(aad)?.[1] ?? 'missing';
  const settings = entries(block(functions, /^var baseSettings = \{/m), 2);

  function deploy(apiAppClientId: string, smokeClientId: string) {
    const swaScope = { ...defaults(swa), ...moduleParams('staticWebApp', { apiAppClientId, smokeClientId }) };
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
