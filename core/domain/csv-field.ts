/** The CSV cell writer lives in the engine, so that every layer (the CLI included) writes cells one way. */
export { csvField } from '../../engine/csv-write.js';
