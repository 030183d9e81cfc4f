import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { DEFAULT_INGEST_RULES } from '../../core/domain/ingestion.js';

/** Issue 13: the ingestion window and caps are settings, with the domain's defaults. */
describe('ingest settings', () => {
  test('defaults match the domain defaults; each setting is read and checked', () => {
    const { ingest } = loadConfig({});
    expect(ingest).toEqual({ firstYear: DEFAULT_INGEST_RULES.firstYear, driversAheadDays: DEFAULT_INGEST_RULES.driversAheadDays, maxBytes: DEFAULT_INGEST_RULES.maxBytes, maxErrors: DEFAULT_INGEST_RULES.maxErrors, maxValue: DEFAULT_INGEST_RULES.maxValue, maxSeries: DEFAULT_INGEST_RULES.maxSeries, maxStores: DEFAULT_INGEST_RULES.maxStores });
    expect(loadConfig({ FOREACT_INGEST_FIRST_YEAR: '2015', FOREACT_INGEST_DRIVERS_AHEAD_DAYS: '90', FOREACT_INGEST_MAX_MB: '512', FOREACT_INGEST_MAX_ERRORS: '50' }).ingest).toEqual({ firstYear: 2015, driversAheadDays: 90, maxBytes: 512 * 1024 * 1024, maxErrors: 50, maxValue: DEFAULT_INGEST_RULES.maxValue, maxSeries: DEFAULT_INGEST_RULES.maxSeries, maxStores: DEFAULT_INGEST_RULES.maxStores });
    expect(() => loadConfig({ FOREACT_INGEST_FIRST_YEAR: '20x0' })).toThrow(/FOREACT_INGEST_FIRST_YEAR/);
    expect(() => loadConfig({ FOREACT_INGEST_MAX_MB: '0' })).toThrow(/FOREACT_INGEST_MAX_MB/);
  });

  test('missing storage settings fail in Azure instead of falling back to Azurite (checked, unchanged)', () => {
    expect(() => loadConfig({ WEBSITE_SITE_NAME: 'foreact-func' })).toThrow(/FOREACT_STORAGE: is not set/);
    expect(loadConfig({}).storage).toMatchObject({ source: 'local-azurite-default' });
  });
});
