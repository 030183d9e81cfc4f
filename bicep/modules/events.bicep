// Upload notifications: Event Grid system topic on the DATA account → a Storage queue in that same
// account → the `ingest-sales` queue trigger (connection FOREACT_STORAGE).
//
// Why a queue and not the Functions blob webhook (/runtime/webhooks/blobs): functions.bicep makes every
// request to the Function App authenticate (authsettingsV2, Return401), and Event Grid cannot present
// an Entra token that Easy Auth accepts from a system topic. Carving the webhook out with excludedPaths
// would leave one anonymous, key-only path on a host that otherwise has none. A queue needs no public
// endpoint, no handshake and no key, so the subscription is declared here: if it cannot be created, the
// deployment fails (the old workflow step warned and went on).
//
// The topic delivers with its own identity (Storage Queue Data Message Sender on that one queue); the
// assignment lives here, not in roles.bicep, because the subscription must wait for it.

param name string
param location string
param tags object = {}

@description('Name of the data storage account (the one holding uploads/).')
param storageAccountName string

@description('Queue receiving BlobCreated events for uploads/.')
param queueName string

@description('Container whose new blobs are ingested.')
param uploadsContainer string = 'uploads'

var storageQueueDataMessageSender = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a') // Storage Queue Data Message Sender

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  parent: account
  name: 'default'
}

resource queue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = {
  parent: queueService
  name: queueName
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    source: account.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource topicSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(queue.id, topic.id, storageQueueDataMessageSender)
  scope: queue
  properties: {
    roleDefinitionId: storageQueueDataMessageSender
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
    description: 'Event Grid system topic: deliver upload notifications to the ingestion queue only.'
  }
}

resource ingestSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: topic
  name: 'ingest-sales'
  dependsOn: [topicSender]
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: ['Microsoft.Storage.BlobCreated']
      subjectBeginsWith: '/blobServices/default/containers/${uploadsContainer}/'
    }
    deliveryWithResourceIdentity: {
      identity: { type: 'SystemAssigned' }
      destination: {
        endpointType: 'StorageQueue'
        properties: {
          resourceId: account.id
          queueName: queueName
          // -1: never expires. An upload that waits for a stopped app must still be ingested later.
          queueMessageTimeToLiveInSeconds: -1
        }
      }
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output id string = topic.id
output name string = topic.name
output principalId string = topic.identity.principalId
output subscriptionName string = ingestSubscription.name
