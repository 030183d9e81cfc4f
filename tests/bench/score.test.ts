import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scoreFiles } from '../../bench/score.js';
import { prerequisite } from '../support/prerequisite.js';

const SCORE_PY = resolve(__dirname, '../../bench/peers/score.py');
const HAVE_PYTHON = prerequisite(spawnSync('python3', ['--version']).status === 0, 'python3 not found: the cross-check of bench/score.ts against bench/peers/score.py must run in CI.', 'score cross-check: skipped — no python3 on PATH.');

// A hand-made case with every rule in it. Cut-off 2024-01-03, horizon 3: test days 01-04 … 01-06.
//  - s1/a: all three days forecast; one band degenerate and equal to the actual (covered), one degenerate
//    and wrong (not covered), one ordinary band missing the actual.
//  - s1/b: 01-06 has no forecast row (missing 1); a forecast for 01-07 is outside the window (ignored).
//  - s2/c: no forecast at all (missing 3); s2/d: forecast but no history (scored, left out of RMSSE).
//  - s3/e: forecast for a series without actuals (ignored).
const DATA = `date,store,item,sales
2024-01-01,s1,a,0
2024-01-02,s1,a,4
2024-01-03,s1,a,6
2024-01-04,s1,a,5
2024-01-05,s1,a,7
2024-01-06,s1,a,3
2024-01-01,s1,b,2
2024-01-02,s1,b,1
2024-01-03,s1,b,3
2024-01-04,s1,b,0
2024-01-05,s1,b,2
2024-01-06,s1,b,4
2024-01-04,s2,c,1
2024-01-05,s2,c,1
2024-01-06,s2,c,1
2024-01-04,s2,d,8
2024-01-05,s2,d,6
2024-01-06,s2,d,0
`;
const FORECASTS = `date,store,item,forecast,p10,p90
2024-01-04,s1,a,5,5,5
2024-01-05,s1,a,6,6,6
2024-01-06,s1,a,4,4.5,9
2024-01-04,s1,b,1,0,2
2024-01-05,s1,b,2,1,3
2024-01-07,s1,b,9,0,20
2024-01-04,s2,d,7,5,9
2024-01-05,s2,d,6,0,1
2024-01-06,s2,d,0,0,0
2024-01-04,s3,e,1,0,2
`;

describe.skipIf(!HAVE_PYTHON)('benchmark scoring: bench/score.ts and bench/peers/score.py agree', () => {
  const dir = mkdtempSync(join(tmpdir(), 'foreact-score-'));
  const data = join(dir, 'data.csv');
  const forecasts = join(dir, 'forecasts.csv');
  writeFileSync(data, DATA);
  writeFileSync(forecasts, FORECASTS);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('scores the hand-made case the same, with missing points counted and coverage over every point', () => {
    const py = spawnSync('python3', [SCORE_PY, '--actuals', data, '--forecasts', forecasts, '--cutoff', '2024-01-03', '--horizon', '3'], { encoding: 'utf8' });
    expect(py.stderr).toBe('');
    expect(py.status).toBe(0);
    const p = JSON.parse(py.stdout) as Record<string, number>;
    const t = scoreFiles(data, forecasts, '2024-01-03', 3);

    // Figures worked out by hand: 12 expected points, 8 scored.
    expect(t).toMatchObject({ expected: 12, points: 8, missing: 4, series: 2 });
    expect(p).toMatchObject({ expected: 12, points: 8, missing: 4, rmsse_series: 2, rmsse_skipped: 1 });
    // Covered: s1/a 01-04 (5 in 5–5), s1/b 01-04 and 01-05, s2/d 01-04 and 01-06 (0 in 0–0) = 5 of 8.
    expect(t.coverage).toBe(5 / 8);
    expect(p.coverage).toBe(0.625);
    // |F − A|: 0 1 1 | 1 0 | 1 0 0 = 4 over ΣA = 5+7+3+0+2+8+6+0 = 31.
    expect(t.wape).toBeCloseTo((100 * 4) / 31, 10);
    for (const [name, ts] of [['smape', t.smape], ['rmsse', t.rmsse], ['wape', t.wape], ['coverage', t.coverage]] as const) {
      expect(p[name], name).toBeCloseTo(ts, 4);
    }
  });
});
