export * from './artifact.js';
export * from './csv.js';
export * from './dates.js';
export * from './history.js';
export * from './metrics.js';
export * from './train.js';
export { FAMILY_NAMES, type FamilyName, type CalendarConfig } from './models/index.js';
