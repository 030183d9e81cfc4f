// Every role assignment of Foreact but one (the Event Grid topic's queue sender, in events.bicep, which
// its subscription must wait for). Each assignment's name is guid(scope, principalId, roleDefinitionId),
// so redeploying is idempotent and two principals never collide. Each built-in role's GUID carries a
// comment naming the role. See docs/deployment.md for the table of identities and roles.
//
// Blast radius: data roles are scoped to single containers, tables and queues of the data account,
// never to an account. The trainer gets only what a training run touches; in particular not the
// `access` table (who sees which regions), not `uploads`, and nothing on the host account (deployment
// package, task hub), so a compromised trainer pod can neither replace the app's code nor grant itself
// regions.

@description('Host storage account (AzureWebJobsStorage): the Function App\'s own; no other identity has a role on it.')
param hostStorageAccountName string

@description('Data storage account (FOREACT_STORAGE).')
param dataStorageAccountName string

@description('Containers of the data account the Function App reads and writes.')
param functionContainers array

@description('Tables of the data account the Function App reads and writes.')
param functionTables array

@description('Queues of the data account the Function App consumes (ingestion and its poison queue).')
param functionQueues array

@description('Containers the trainer only reads (sales history).')
param trainerReadContainers array

@description('Containers the trainer reads and writes (model artefacts).')
param trainerWriteContainers array

@description('Tables the trainer reads and writes (forecasts, runs, models, stores).')
param trainerTables array

@description('Tables the trainer only reads (overrides: the planners\' promotion overrides).')
param trainerReadTables array = []

@description('Container the deployer may write to (the smoke test\'s upload).')
param deployerUploadContainer string

@description('Table the deployer may read (the smoke test polls the upload\'s ingestion record).')
param deployerReadTable string
param appInsightsName string
param aksName string
param registryName string

@description('Object id of the Function App\'s system-assigned identity.')
param functionPrincipalId string

@description('Object id of the training pods\' user-assigned identity (workload identity).')
param trainingPrincipalId string

@description('Object id of the AKS kubelet identity (pulls images).')
param kubeletPrincipalId string

@description('Namespace of the training Jobs; the Function App may manage Jobs there and nowhere else.')
param trainingNamespace string

@description('Azure RBAC for Kubernetes authorization is on (aks.bicep entraAuth).')
param aksEntraAuth bool

@description('Log Analytics workspace the alert rules query.')
param logAnalyticsWorkspaceName string

@description('Object ids of the alert rules\' system-assigned identities (alerts.bicep): Log Analytics Reader on the workspace.')
param alertRulePrincipalIds array = []

@description('Object id of the deploy workflow\'s principal (optional): may apply the namespace and service account.')
param deployerPrincipalId string = ''

@description('Principal type of the deployer (ServicePrincipal for a GitHub OIDC app registration or managed identity).')
@allowed(['ServicePrincipal', 'User', 'Group'])
param deployerPrincipalType string = 'ServicePrincipal'

// --- built-in role definitions --------------------------------------------------------------------
var storageBlobDataOwner = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b') // Storage Blob Data Owner
var storageBlobDataContributor = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe') // Storage Blob Data Contributor
var storageBlobDataReader = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1') // Storage Blob Data Reader
var storageTableDataReader = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '76199698-9eea-4c19-bc75-cec21354c6b6') // Storage Table Data Reader
var storageTableDataContributor = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3') // Storage Table Data Contributor
var storageQueueDataContributor = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '974c5e8b-45b9-4653-ba55-5f855dd0fb88') // Storage Queue Data Contributor
var monitoringMetricsPublisher = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '3913510d-42f4-4e42-8a64-420c390055eb') // Monitoring Metrics Publisher
var aksClusterUser = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4abbcc35-e782-43d8-92c5-2d3f1bd2253f') // Azure Kubernetes Service Cluster User Role
var aksRbacWriter = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb') // Azure Kubernetes Service RBAC Writer
var aksRbacClusterAdmin = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b') // Azure Kubernetes Service RBAC Cluster Admin
var acrPull = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '7f951dda-4ed3-4680-a7ca-43fe172d538d') // AcrPull
var logAnalyticsReader = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '73c42c96-874c-492b-b04d-ab87d138a893') // Log Analytics Reader

// --- scopes ---------------------------------------------------------------------------------------
resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageAccountName
}

resource dataStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: dataStorageAccountName
}

resource dataBlobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: dataStorage
  name: 'default'
}

resource dataTables 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' existing = {
  parent: dataStorage
  name: 'default'
}

resource dataQueues 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  parent: dataStorage
  name: 'default'
}

resource functionContainerScopes 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [
  for c in functionContainers: { parent: dataBlobs, name: c }
]

resource functionTableScopes 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' existing = [
  for t in functionTables: { parent: dataTables, name: t }
]

resource functionQueueScopes 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = [
  for q in functionQueues: { parent: dataQueues, name: q }
]

resource trainerReadContainerScopes 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [
  for c in trainerReadContainers: { parent: dataBlobs, name: c }
]

resource trainerWriteContainerScopes 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [
  for c in trainerWriteContainers: { parent: dataBlobs, name: c }
]

resource trainerTableScopes 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' existing = [
  for t in trainerTables: { parent: dataTables, name: t }
]

resource trainerReadTableScopes 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' existing = [
  for t in trainerReadTables: { parent: dataTables, name: t }
]

resource deployerUploadScope 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: dataBlobs
  name: deployerUploadContainer
}

resource deployerTableScope 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' existing = {
  parent: dataTables
  name: deployerReadTable
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: logAnalyticsWorkspaceName
}

resource aks 'Microsoft.ContainerService/managedClusters@2024-09-01' existing = {
  name: aksName
}

// Kubernetes namespace as an Azure RBAC scope (Azure RBAC for Kubernetes authorization). Not an ARM
// resource that is read or deployed: only its id is used, as `<cluster id>/namespaces/<name>`.
#disable-next-line BCP081
resource trainingNamespaceScope 'Microsoft.ContainerService/managedClusters/namespaces@2024-09-01' existing = {
  parent: aks
  name: trainingNamespace
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

// --- custom role: scale the training pool, nothing else -------------------------------------------
// Azure Kubernetes Service Contributor Role would also let the app change or delete the cluster; the
// pool scaler (core/adapters/dispatch/aks-cluster.ts) only reads and updates agent pools.
var poolScalerRoleName = 'Foreact training pool scaler (${resourceGroup().name})'

resource poolScalerRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'foreact-training-pool-scaler')
  properties: {
    roleName: poolScalerRoleName
    description: 'Read an AKS cluster and read/update its agent pools (node count and autoscaler bounds).'
    type: 'CustomRole'
    assignableScopes: [resourceGroup().id]
    permissions: [
      {
        actions: [
          'Microsoft.ContainerService/managedClusters/read'
          'Microsoft.ContainerService/managedClusters/agentPools/read'
          'Microsoft.ContainerService/managedClusters/agentPools/write'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

// --- Function App (system-assigned identity): host account -----------------------------------------
// The host account holds only what the Functions host itself needs; Microsoft documents Blob Data Owner
// (blob leases, deployment package), Queue and Table Data Contributor (Durable task hub) for it.
resource funcHostBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, functionPrincipalId, storageBlobDataOwner)
  scope: hostStorage
  properties: {
    roleDefinitionId: storageBlobDataOwner
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Foreact Function App: host storage (deployment package, host locks, task hub blobs).'
  }
}

resource funcHostTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, functionPrincipalId, storageTableDataContributor)
  scope: hostStorage
  properties: {
    roleDefinitionId: storageTableDataContributor
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Foreact Function App: Durable task hub history and instances tables.'
  }
}

resource funcHostQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, functionPrincipalId, storageQueueDataContributor)
  scope: hostStorage
  properties: {
    roleDefinitionId: storageQueueDataContributor
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Foreact Function App: Durable Functions control and work-item queues.'
  }
}

// --- Function App: data account, one assignment per container / table / queue ----------------------
resource funcDataBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (c, i) in functionContainers: {
    name: guid(functionContainerScopes[i].id, functionPrincipalId, storageBlobDataContributor)
    scope: functionContainerScopes[i]
    properties: {
      roleDefinitionId: storageBlobDataContributor
      principalId: functionPrincipalId
      principalType: 'ServicePrincipal'
      description: 'Foreact Function App: container ${c}.'
    }
  }
]

resource funcDataTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (t, i) in functionTables: {
    name: guid(functionTableScopes[i].id, functionPrincipalId, storageTableDataContributor)
    scope: functionTableScopes[i]
    properties: {
      roleDefinitionId: storageTableDataContributor
      principalId: functionPrincipalId
      principalType: 'ServicePrincipal'
      description: 'Foreact Function App: table ${t}.'
    }
  }
]

resource funcDataQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (q, i) in functionQueues: {
    name: guid(functionQueueScopes[i].id, functionPrincipalId, storageQueueDataContributor)
    scope: functionQueueScopes[i]
    properties: {
      roleDefinitionId: storageQueueDataContributor
      principalId: functionPrincipalId
      principalType: 'ServicePrincipal'
      description: 'Foreact Function App: queue ${q} (upload notifications; poison messages).'
    }
  }
]

resource funcMetrics 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, functionPrincipalId, monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: monitoringMetricsPublisher
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Foreact Function App: send telemetry with Entra authentication.'
  }
}

// The trainer's spans and logs (load, fit, gate, publish) join the refresh's trace in Application Insights.
resource trainingMetrics 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, trainingPrincipalId, monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: monitoringMetricsPublisher
    principalId: trainingPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Foreact trainer pods: send telemetry with Entra authentication.'
  }
}

resource funcClusterUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(aks.id, functionPrincipalId, aksClusterUser)
  scope: aks
  properties: {
    roleDefinitionId: aksClusterUser
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Foreact Function App: listClusterUserCredential (kubeconfig for the Jobs API).'
  }
}

resource funcPoolScaler 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(aks.id, functionPrincipalId, poolScalerRole.id)
  scope: aks
  properties: {
    roleDefinitionId: poolScalerRole.id
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Foreact Function App: scale the training agent pool ahead of the morning run.'
  }
}

resource funcJobs 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (aksEntraAuth) {
  name: guid(trainingNamespaceScope.id, functionPrincipalId, aksRbacWriter)
  scope: trainingNamespaceScope
  properties: {
    roleDefinitionId: aksRbacWriter
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Foreact Function App: create, read and delete training Jobs in its namespace only.'
  }
}

// --- training pods (workload identity): data account only, per container / table -------------------
resource trainingReadBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (c, i) in trainerReadContainers: {
    name: guid(trainerReadContainerScopes[i].id, trainingPrincipalId, storageBlobDataReader)
    scope: trainerReadContainerScopes[i]
    properties: {
      roleDefinitionId: storageBlobDataReader
      principalId: trainingPrincipalId
      principalType: 'ServicePrincipal'
      description: 'Foreact trainer pods: read container ${c}.'
    }
  }
]

resource trainingWriteBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (c, i) in trainerWriteContainers: {
    name: guid(trainerWriteContainerScopes[i].id, trainingPrincipalId, storageBlobDataContributor)
    scope: trainerWriteContainerScopes[i]
    properties: {
      roleDefinitionId: storageBlobDataContributor
      principalId: trainingPrincipalId
      principalType: 'ServicePrincipal'
      description: 'Foreact trainer pods: read and write container ${c}.'
    }
  }
]

resource trainingTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (t, i) in trainerTables: {
    name: guid(trainerTableScopes[i].id, trainingPrincipalId, storageTableDataContributor)
    scope: trainerTableScopes[i]
    properties: {
      roleDefinitionId: storageTableDataContributor
      principalId: trainingPrincipalId
      principalType: 'ServicePrincipal'
      description: 'Foreact trainer pods: table ${t}.'
    }
  }
]

resource trainingReadTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (t, i) in trainerReadTables: {
    name: guid(trainerReadTableScopes[i].id, trainingPrincipalId, storageTableDataReader)
    scope: trainerReadTableScopes[i]
    properties: {
      roleDefinitionId: storageTableDataReader
      principalId: trainingPrincipalId
      principalType: 'ServicePrincipal'
      description: 'Foreact trainer pods: read table ${t}.'
    }
  }
]

// --- AKS nodes ------------------------------------------------------------------------------------
resource kubeletPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, kubeletPrincipalId, acrPull)
  scope: registry
  properties: {
    roleDefinitionId: acrPull
    principalId: kubeletPrincipalId
    principalType: 'ServicePrincipal'
    description: 'AKS kubelet: pull the training image.'
  }
}

// --- alert rules (system-assigned identities): read the workspace they query, nothing else -----------
resource alertRuleReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (principalId, i) in alertRulePrincipalIds: {
    name: guid(workspace.id, principalId, logAnalyticsReader)
    scope: workspace
    properties: {
      roleDefinitionId: logAnalyticsReader
      principalId: principalId
      principalType: 'ServicePrincipal'
      description: 'Foreact alert rule ${i}: run its log search query on the workspace.'
    }
  }
]

// --- deploy workflow (optional) -------------------------------------------------------------------
resource deployerClusterAdmin 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (aksEntraAuth && !empty(deployerPrincipalId)) {
  name: guid(aks.id, deployerPrincipalId, aksRbacClusterAdmin)
  scope: aks
  properties: {
    roleDefinitionId: aksRbacClusterAdmin
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
    description: 'Deploy workflow: apply the training namespace and service account (bicep/k8s/).'
  }
}

// The smoke test drops one small CSV into uploads/ and reads its ingestion record: write on that one
// container, read on that one table, nothing else of the data.
resource deployerUpload 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(deployerUploadScope.id, deployerPrincipalId, storageBlobDataContributor)
  scope: deployerUploadScope
  properties: {
    roleDefinitionId: storageBlobDataContributor
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
    description: 'Deploy workflow: the post-deploy smoke test uploads one small sales file.'
  }
}

resource deployerIngestions 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(deployerTableScope.id, deployerPrincipalId, storageTableDataReader)
  scope: deployerTableScope
  properties: {
    roleDefinitionId: storageTableDataReader
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
    description: 'Deploy workflow: the post-deploy smoke test reads the ingestion record of its upload.'
  }
}

output poolScalerRoleId string = poolScalerRole.id
