import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import type { Logger } from '../invocation.js';
import type { Registration } from '../registry.js';
import { resolveSetting } from '../ncrontab.js';
import type { AppSettings } from '../settings.js';

/** Failures of one blob version before it is left alone (the host's poison rule). */
const MAX_ATTEMPTS = 5;

export interface BlobTriggerOptions {
  registrations: Registration[];
  storageConnectionString: string;
  taskHub: string;
  appSettings: AppSettings;
  /** A binding's `connection` setting as a connection string. */
  connectionOf(setting: unknown): string;
  invoke(reg: Registration, input: unknown, triggerMetadata: Record<string, unknown>): Promise<unknown>;
  log: Logger;
}

/**
 * Blob triggers by polling: each trigger's container is listed, and a blob fires once per version. A
 * receipt per blob and ETag, kept in the table `<hub>BlobReceipts`, makes that hold across restarts.
 */
export class BlobTriggers {
  private readonly receipts: TableClient;
  private readonly receiptCache = new Map<string, { etag: string; attempts: number }>();
  private receiptsLoaded = false;

  constructor(private readonly opts: BlobTriggerOptions) {
    this.receipts = TableClient.fromConnectionString(opts.storageConnectionString, `${opts.taskHub}BlobReceipts`, { allowInsecureConnection: true });
  }

  get count(): number {
    return this.opts.registrations.length;
  }

  async poll(): Promise<void> {
    if (!this.receiptsLoaded) {
      await this.receipts.createTable();
      for await (const e of this.receipts.listEntities<{ blobEtag: string; attempts: number }>()) {
        this.receiptCache.set(`${e.partitionKey}|${e.rowKey}`, { etag: e.blobEtag, attempts: e.attempts });
      }
      this.receiptsLoaded = true;
    }
    for (const reg of this.opts.registrations) await this.pollTrigger(reg);
  }

  private async pollTrigger(reg: Registration): Promise<void> {
    const fullPath = resolveSetting(typeof reg.trigger.path === 'string' ? reg.trigger.path : '', this.opts.appSettings);
    const slash = fullPath.indexOf('/');
    const container = slash < 0 ? fullPath : fullPath.slice(0, slash);
    const pattern = slash < 0 ? '{name}' : fullPath.slice(slash + 1);
    const { regex, names } = blobPathPattern(pattern);
    const prefix = pattern.split('{')[0] ?? '';
    const containerClient = BlobServiceClient.fromConnectionString(this.opts.connectionOf(reg.trigger.connection)).getContainerClient(container);
    if (!(await containerClient.exists())) return;
    for await (const blob of containerClient.listBlobsFlat({ prefix, includeMetadata: true })) {
      const m = regex.exec(blob.name);
      if (!m) continue;
      const etag = blob.properties.etag ?? '';
      const pk = encodeURIComponent(reg.name);
      const rk = encodeURIComponent(`${container}/${blob.name}`);
      const receipt = this.receiptCache.get(`${pk}|${rk}`);
      if (receipt && receipt.etag === etag && (receipt.attempts === 0 || receipt.attempts >= MAX_ATTEMPTS)) continue;
      const attempts = receipt && receipt.etag === etag ? receipt.attempts : 0;
      const captures: Record<string, string> = {};
      names.forEach((n, i) => (captures[n] = m[i + 1] ?? ''));
      let ok = true;
      try {
        const content = await containerClient.getBlobClient(blob.name).downloadToBuffer();
        await this.opts.invoke(reg, content, {
          blobTrigger: `${container}/${blob.name}`,
          uri: containerClient.getBlobClient(blob.name).url,
          properties: blob.properties,
          metadata: blob.metadata ?? {},
          ...captures,
        });
      } catch {
        ok = false;
      }
      // A receipt per ETag, as the real host keeps: an unchanged blob never fires twice, even across
      // restarts; a failing one is retried up to 5 times and then left alone (the host's poison rule).
      const next = { etag, attempts: ok ? 0 : attempts + 1 };
      if (!ok && next.attempts >= MAX_ATTEMPTS) this.opts.log('error', `Blob ${container}/${blob.name} failed 5 times in ${reg.name}; giving up on this version`);
      this.receiptCache.set(`${pk}|${rk}`, next);
      await this.receipts.upsertEntity({ partitionKey: pk, rowKey: rk, blobEtag: etag, attempts: next.attempts }, 'Replace');
    }
  }
}

/** `{name}` placeholders of a blob path pattern as capture groups, the rest literal. */
function blobPathPattern(pattern: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const regex = new RegExp(
    '^' +
      pattern.replace(/\{([A-Za-z0-9_]+)\}|[.*+?^$()|[\]\\]/g, (m, name?: string) => {
        if (name) {
          names.push(name);
          return '(.+)';
        }
        return `\\${m}`;
      }) +
      '$',
  );
  return { regex, names };
}
