// Event Grid system topic on the storage account. On Flex Consumption a blob trigger runs only with
// the Event Grid source; the subscription from this topic to the Function App's blob extension webhook
// is created by the deploy workflow after the code is deployed (the webhook needs the function to exist
// for the validation handshake, and its URL carries the blobs_extension system key, which therefore
// never appears in a template or a deployment's history).

param name string
param location string
param tags object = {}
param storageAccountId string

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    source: storageAccountId
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output id string = topic.id
output name string = topic.name
