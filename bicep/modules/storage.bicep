// One StorageV2 account, reached with Microsoft Entra ID only: shared keys are off, so no connection
// string with a key can exist anywhere. main.bicep uses it twice, so that a compromised trainer pod
// (which holds roles on the data account only) can never touch the host account:
//   - host: the Function App's own storage (Flex deployment package, Durable task hub, host locks);
//   - data: Foreact's tables, containers and the ingestion queue (FOREACT_STORAGE__* settings).

@description('Storage account name: 3-24 lowercase letters and digits, globally unique.')
@minLength(3)
@maxLength(24)
param name string

param location string
param tags object = {}

@description('Zone-redundant by default; GZRS for a second region.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS', 'Standard_RAGRS', 'Standard_RAGZRS'])
param skuName string = 'Standard_ZRS'

@description('Days a deleted blob (or container) can be restored.')
@minValue(1)
@maxValue(365)
param softDeleteDays int = 7

@description('Log Analytics workspace receiving the blob, table and queue resource logs.')
param logAnalyticsWorkspaceId string

@description('Blob containers to create (private).')
param containerNames array = []

@description('Tables to create. Created here, not by the app, so identities scoped to single tables need no account-wide right.')
param tableNames array = []

@description('Queues to create.')
param queueNames array = []

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  //checkov:skip=CKV_AZURE_35: Flex Consumption instances without VNet integration, GitHub-hosted runners and AKS pods reach storage over its public endpoint; every request still needs an Entra token and a data role (shared keys are off). Private endpoints + VNet integration are the follow-up in docs/deployment.md.
  //checkov:skip=CKV_AZURE_206: Redundancy is the skuName parameter: ZRS by default, Standard_GZRS (geo-replicated) in prod.bicepparam.
  //checkov:skip=CKV_AZURE_59: Same reason as CKV_AZURE_35: public endpoint kept, anonymous and key access are both off (allowBlobPublicAccess false, allowSharedKeyAccess false).
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: skuName }
  properties: {
    accessTier: 'Hot'
    // Entra ID only: no account keys, no SAS signed with keys.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Public endpoint, but every request needs an Entra token with a data-plane role (see roles.bicep).
    // Flex Consumption instances and AKS pods reach it without a VNet; see docs/deployment.md (network).
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: { enabled: true, keyType: 'Account' }
        file: { enabled: true, keyType: 'Account' }
        table: { enabled: true, keyType: 'Account' }
        queue: { enabled: true, keyType: 'Account' }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: { enabled: true, days: softDeleteDays }
    containerDeleteRetentionPolicy: { enabled: true, days: softDeleteDays }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for c in containerNames: {
    parent: blobService
    name: c
    properties: { publicAccess: 'None' }
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for t in tableNames: {
    parent: tableService
    name: t
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for q in queueNames: {
    parent: queueService
    name: q
  }
]

// Storage logging (read/write/delete) for blobs, tables and queues, sent to Log Analytics.
resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: blobService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      { category: 'StorageRead', enabled: true }
      { category: 'StorageWrite', enabled: true }
      { category: 'StorageDelete', enabled: true }
    ]
    metrics: [{ category: 'Transaction', enabled: true }]
  }
}

resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: tableService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      { category: 'StorageRead', enabled: true }
      { category: 'StorageWrite', enabled: true }
      { category: 'StorageDelete', enabled: true }
    ]
    metrics: [{ category: 'Transaction', enabled: true }]
  }
}

resource queueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: queueService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      { category: 'StorageRead', enabled: true }
      { category: 'StorageWrite', enabled: true }
      { category: 'StorageDelete', enabled: true }
    ]
    metrics: [{ category: 'Transaction', enabled: true }]
  }
}

output id string = account.id
output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output tableEndpoint string = account.properties.primaryEndpoints.table
output queueEndpoint string = account.properties.primaryEndpoints.queue
