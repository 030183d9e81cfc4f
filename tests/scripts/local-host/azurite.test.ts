import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startAzurite, type AzuriteInstance } from '../../support/azurite.js';

let azurite: AzuriteInstance;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite.stop();
});

test('the harness gives a connection string that blob and table clients accept', async () => {
  const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
  const container = blobs.getContainerClient('probe');
  await container.create();
  await container.getBlockBlobClient('a.txt').upload('hi', 2);
  const text = (await container.getBlobClient('a.txt').downloadToBuffer()).toString();
  expect(text).toBe('hi');

  const table = TableClient.fromConnectionString(azurite.connectionString, 'probe', { allowInsecureConnection: true });
  await table.createTable();
  await table.createEntity({ partitionKey: 'p', rowKey: 'r', v: 1 });
  expect((await table.getEntity<{ v: number }>('p', 'r')).v).toBe(1);
  expect(azurite.blobEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
});
