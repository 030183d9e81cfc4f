import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../core/config.js';

const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

describe('API security settings (issue 18 items 7 and 13)', () => {
  test('defaults: no app-only caller is trusted, operators see the smoke store, no extra origin', () => {
    expect(loadConfig(base).api).toMatchObject({ trustedAppIds: [], operatorStores: ['smoke'], appOrigins: [] });
  });

  test('lists are comma-separated, trimmed, de-duplicated; client ids and origins lower case', () => {
    const api = loadConfig({ ...base, FOREACT_TRUSTED_APP_IDS: ' 0A1B2C3D-0000-4000-8000-00000000D3B1 ,,0a1b2c3d-0000-4000-8000-00000000d3b1', FOREACT_OPERATOR_STORES: 'smoke, smoke-2', FOREACT_APP_ORIGIN: 'https://Foreact.example.net' }).api;
    expect(api.trustedAppIds).toEqual(['0a1b2c3d-0000-4000-8000-00000000d3b1']);
    expect(api.operatorStores).toEqual(['smoke', 'smoke-2']);
    expect(api.appOrigins).toEqual(['https://foreact.example.net']);
  });

  test.each([
    ['FOREACT_TRUSTED_APP_IDS', 'deploy-app', /FOREACT_TRUSTED_APP_IDS: "deploy-app" is not a client id/],
    ['FOREACT_OPERATOR_STORES', 'smoke,../x', /FOREACT_OPERATOR_STORES: "..\/x" is not a store id/],
    ['FOREACT_APP_ORIGIN', 'https://app.example.net/', /FOREACT_APP_ORIGIN: "https:\/\/app.example.net\/" is not an origin/],
  ])('a bad %s fails at load, naming the setting and the entry', (setting, value, message) => {
    expect(() => loadConfig({ ...base, [setting]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, [setting]: value })).toThrow(message);
  });
});
