import type { Clock, Metrics, StoragePorts, StorePointerRepository } from '../ports/index.js';
import type { UploadSource } from '../ports/ingestion.js';
import { ingestDriversUpload, isDriversUpload } from './drivers-ingestion.js';
import { ingestUpload, type IngestResult, type IngestRules } from './ingestion.js';
import { ingestStoreAttributesUpload, isStoreAttributesUpload } from './store-attributes.js';
import { ingestItemMasterUpload, isItemMasterUpload } from './item-master.js';

/** What an upload under `uploads/` is, by where it was dropped. */
export type UploadKind = 'drivers' | 'store-attributes' | 'item-master' | 'sales';

interface UploadKindRule {
  matches(name: string): boolean;
  ingest(deps: UploadTriggerDeps, source: UploadSource): Promise<IngestResult>;
  /** What an ingested (not duplicate) upload of this kind changed, for the log. */
  changed(result: IngestResult): string;
}

/**
 * uploads/drivers/… are promotion calendars, events and closures; uploads/stores/… the chain's store
 * attributes (and logistics); uploads/items/… the item master (pack sizes); everything else is sales. The
 * first kind whose prefix matches wins, so sales (matching anything) stays last.
 */
const UPLOAD_KINDS: Readonly<Record<UploadKind, UploadKindRule>> = {
  drivers: { matches: isDriversUpload, ingest: ({ storage, clock, rules }, source) => ingestDriversUpload(storage, source, { clock, rules }), changed: historyChanged },
  'store-attributes': { matches: isStoreAttributesUpload, ingest: ({ storage, clock, rules }, source) => ingestStoreAttributesUpload(storage, source, { clock, rules }), changed: (r) => `attributes of ${r.changedStores.length} store(s) stored` },
  'item-master': { matches: isItemMasterUpload, ingest: ({ storage, clock, rules }, source) => ingestItemMasterUpload(storage, source, { clock, rules }), changed: (r) => (r.status === 'applied' ? `pack sizes of ${r.accepted} item(s) stored` : 'item master unchanged') },
  sales: { matches: () => true, ingest: ({ storage, clock, rules, metrics }, source) => ingestUpload(storage, source, { clock, rules, ...(metrics ? { metrics } : {}) }), changed: historyChanged },
};

function historyChanged(result: IngestResult): string {
  return `history changed for ${result.changedStores.length} store(s), marked stale`;
}

export function uploadKind(name: string): UploadKind {
  return (Object.keys(UPLOAD_KINDS) as UploadKind[]).find((kind) => UPLOAD_KINDS[kind].matches(name)) ?? 'sales';
}

export interface UploadLog {
  log(message: string): void;
  warn(message: string): void;
}

export interface UploadTriggerDeps {
  storage: StoragePorts;
  clock: Clock;
  rules: Partial<IngestRules>;
  metrics?: Metrics;
  /** The process's one adoption of legacy pointers, run before the upload. */
  legacyPointers: LegacyPointerAdoption;
  log: UploadLog;
}

/** A line for the trigger's log, and whether it is a warning. */
export interface UploadNote {
  level: 'log' | 'warn';
  message: string;
}

/** Ingests the upload `name` the way its kind calls for, and logs what came of it. */
export async function ingestDroppedUpload(deps: UploadTriggerDeps, name: string, source: UploadSource): Promise<void> {
  await deps.legacyPointers.run(deps.storage.pointers, deps.log);
  const kind = uploadKind(name);
  const result = await UPLOAD_KINDS[kind].ingest(deps, source);
  for (const note of uploadNotes(name, kind, result)) deps.log[note.level](note.message);
}

export function uploadNotes(name: string, kind: UploadKind, result: IngestResult): UploadNote[] {
  if (result.duplicate) return [{ level: 'log', message: `upload ${name}: same content already ingested (${result.key.slice(0, 12)}…); nothing changed` }];
  const changed = UPLOAD_KINDS[kind].changed(result);
  const notes: UploadNote[] = [{ level: 'log', message: `upload ${name}: ${result.accepted} rows accepted, ${result.rejectedCount} rejected${result.rejectedBlob ? ` (see ${result.rejectedBlob})` : ''}; ${changed}` }];
  if (result.status === 'rejected') notes.push({ level: 'warn', message: `upload ${name} is unusable: ${result.reason ?? 'no usable rows'}` });
  return notes;
}

/**
 * Once per process: stores whose pointers are still only on their `stores` row (written before ingestion
 * kept its own record) get that record, from the row's pointers once checked, so a trainer can no longer
 * move them. Rows naming anything but their own store's blobs are refused and reported, never read. A
 * failure is retried on the next call; the upload itself goes on (each store is adopted on its own first
 * ingestion anyway).
 */
export class LegacyPointerAdoption {
  private adoption: Promise<void> | undefined;

  run(pointers: Pick<StorePointerRepository, 'adoptLegacy'>, log: UploadLog): Promise<void> {
    this.adoption ??= pointers.adoptLegacy().then(
      ({ adopted, refused }) => {
        if (adopted.length > 0) log.log(`store pointers: ${adopted.length} store(s) moved from the stores table to ingestion's own record`);
        for (const r of refused) log.warn(`store pointers: store "${r.store.slice(0, 60)}" refused: ${r.problem}`);
      },
      (error: unknown) => {
        this.adoption = undefined;
        log.warn(`store pointers: adopting legacy pointers failed (retried on the next upload): ${error instanceof Error ? error.message : String(error)}`);
      },
    );
    return this.adoption;
  }
}
