import { z } from 'zod';

/**
 * Parsing of the ingest-events queue's messages: Event Grid's BlobCreated events for `uploads/`. Not HTTP,
 * but the same job as the HTTP parsers beside it: the trigger's input, checked, before any domain call.
 */

const blobCreated = z.object({
  eventType: z.string(),
  subject: z.string(),
});

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function describeMessage(message: unknown): string {
  if (typeof message === 'string') return `text "${message.slice(0, 80).replace(/[^\x20-\x7e]/g, '?')}"${message.length > 80 ? ` (${message.length} characters)` : ''}`;
  return message === null ? 'null' : Array.isArray(message) ? 'a JSON array' : `a ${typeof message}`;
}

/**
 * The event object inside a queue message. host.json sets `messageEncoding: "none"` (the trigger hands the
 * text over as is, parsed when it is JSON), and Event Grid's storage-queue destination has been seen writing
 * the event both as plain JSON and as base64 of that JSON: both are accepted, and so is a JSON string whose
 * content is the event (text parsed once by the extension, once here). Anything else is named in the error,
 * so the poison queue's entry says what arrived.
 */
export function eventOfMessage(message: unknown): unknown {
  const original = message;
  let value: unknown = Buffer.isBuffer(message) || message instanceof Uint8Array ? Buffer.from(message).toString('utf8') : message;
  for (let depth = 0; depth < 3 && typeof value === 'string'; depth++) {
    const text = value.trim();
    if (text.startsWith('{') || text.startsWith('"')) {
      try {
        value = JSON.parse(text) as unknown;
        continue;
      } catch {
        break;
      }
    }
    if (text.length % 4 !== 0 || !BASE64.test(text)) break;
    const decoded = Buffer.from(text, 'base64').toString('utf8').trim();
    if (!decoded.startsWith('{') && !decoded.startsWith('"')) break;
    value = decoded;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
  throw new Error(`ingest-events message is not an Event Grid event (expected the event's JSON object, as text or base64 of it): got ${describeMessage(original)}`);
}

/**
 * The blob a message names, or, for an event that is not BlobCreated, what to say when ignoring it.
 * Anything malformed, or a blob outside `container`, throws: the queue redelivers, then poisons it.
 */
export function uploadOfMessage(message: unknown, container: string): { blob: string } | { ignored: string } {
  const event = blobCreated.safeParse(eventOfMessage(message));
  if (!event.success) throw new Error(`ingest-events message is not an Event Grid event: ${event.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const { eventType, subject } = event.data;
  if (eventType !== 'Microsoft.Storage.BlobCreated') return { ignored: `ignoring ${eventType} for ${subject}` };
  const blob = subjectPattern(container).exec(subject)?.[1];
  if (blob === undefined) throw new Error(`BlobCreated for ${subject}, which is not in ${container}/`);
  return { blob };
}

function subjectPattern(container: string): RegExp {
  return new RegExp(`^/blobServices/default/containers/${container}/blobs/(.+)$`);
}
