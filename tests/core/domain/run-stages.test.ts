import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { RUN_STAGES, RUN_STATUSES, TRAINER_STEP_STAGE } from '../../../core/domain/run-stages.js';
import { RUN_STATUSES as DASHBOARD_STATUSES, STAGE_NAMES as DASHBOARD_STAGES } from '../../../static-web/src/api.js';

interface Schema {
  enum?: string[];
  properties?: Record<string, Schema>;
}

const doc = parse(readFileSync(path.resolve(__dirname, '../../../docs/openapi.yaml'), 'utf8')) as { components: { schemas: Record<string, Schema> } };

describe('one run vocabulary', () => {
  test('the OpenAPI document, the domain and the dashboard name the same stages in the same order', () => {
    expect(doc.components.schemas.RunStatus?.enum).toEqual([...RUN_STATUSES]);
    expect(doc.components.schemas.RunStage?.properties?.name?.enum).toEqual([...RUN_STAGES]);
    expect([...DASHBOARD_STATUSES]).toEqual([...RUN_STATUSES]);
    expect([...DASHBOARD_STAGES]).toEqual([...RUN_STAGES]);
  });

  test("every trainer step belongs to a planner-visible stage, and every stage after queueing has a step", () => {
    for (const stage of Object.values(TRAINER_STEP_STAGE)) expect(RUN_STAGES).toContain(stage);
    expect(new Set(Object.values(TRAINER_STEP_STAGE))).toEqual(new Set(RUN_STAGES));
  });
});
