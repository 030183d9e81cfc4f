import { calendarModel } from './calendar.js';
import { holtWinters } from './holt-winters.js';
import { seasonalNaive } from './seasonal-naive.js';
import { ses } from './ses.js';
import { tsb } from './tsb.js';
import type { ModelFamily, SeriesFamilyName } from './types.js';

export * from './types.js';

export const FAMILIES: Record<SeriesFamilyName, ModelFamily<unknown>> = {
  seasonal_naive: seasonalNaive,
  calendar: calendarModel,
  holt_winters: holtWinters,
  tsb: tsb,
  ses: ses,
};
