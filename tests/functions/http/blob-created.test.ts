import { describe, expect, test } from 'vitest';
import { uploadOfMessage } from '../../../functions/http/blob-created.js';

const event = (eventType: string, subject: string) => ({ eventType, subject, id: '1', data: {} });

describe('the blob an ingest-events message names', () => {
  test('a BlobCreated event in the container names its blob, whatever the encoding', () => {
    const e = event('Microsoft.Storage.BlobCreated', '/blobServices/default/containers/uploads/blobs/drivers/plan.csv');
    expect(uploadOfMessage(e, 'uploads')).toEqual({ blob: 'drivers/plan.csv' });
    expect(uploadOfMessage(Buffer.from(JSON.stringify(e)).toString('base64'), 'uploads')).toEqual({ blob: 'drivers/plan.csv' });
  });

  test('another event type is ignored, and said so', () => {
    expect(uploadOfMessage(event('Microsoft.Storage.BlobDeleted', '/blobServices/default/containers/uploads/blobs/a.csv'), 'uploads')).toEqual({ ignored: 'ignoring Microsoft.Storage.BlobDeleted for /blobServices/default/containers/uploads/blobs/a.csv' });
  });

  test('a blob outside the container, or a message that is no event, throws (the queue redelivers, then poisons it)', () => {
    expect(() => uploadOfMessage(event('Microsoft.Storage.BlobCreated', '/blobServices/default/containers/models/blobs/a.csv'), 'uploads')).toThrow('which is not in uploads/');
    expect(() => uploadOfMessage({ subject: 'x' }, 'uploads')).toThrow(/not an Event Grid event: eventType/);
    expect(() => uploadOfMessage('hello', 'uploads')).toThrow('got text "hello"');
  });
});
