// Every role assignment of Foreact, in one place. Each assignment's name is
// guid(scope, principalId, roleDefinitionId), so redeploying is idempotent and two principals never
// collide. Each built-in role's GUID carries a comment naming the role. See docs/deployment.md for the
// table of identities and roles.

param storageAccountName string
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

@description('Object id of the deploy workflow\'s principal (optional): may apply the namespace and service account.')
param deployerPrincipalId string = ''

@description('Principal type of the deployer (ServicePrincipal for a GitHub OIDC app registration or managed identity).')
@allowed(['ServicePrincipal', 'User', 'Group'])
param deployerPrincipalType string = 'ServicePrincipal'

// --- built-in role definitions --------------------------------------------------------------------
var storageBlobDataContributor = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe') // Storage Blob Data Contributor
var storageTableDataContributor = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3') // Storage Table Data Contributor
var storageQueueDataContributor = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '974c5e8b-45b9-4653-ba55-5f855dd0fb88') // Storage Queue Data Contributor
var monitoringMetricsPublisher = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '3913510d-42f4-4e42-8a64-420c390055eb') // Monitoring Metrics Publisher
var aksClusterUser = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4abbcc35-e782-43d8-92c5-2d3f1bd2253f') // Azure Kubernetes Service Cluster User Role
var aksRbacWriter = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb') // Azure Kubernetes Service RBAC Writer
var aksRbacClusterAdmin = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b') // Azure Kubernetes Service RBAC Cluster Admin
var acrPull = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '7f951dda-4ed3-4680-a7ca-43fe172d538d') // AcrPull

// --- scopes ---------------------------------------------------------------------------------------
resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
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

// --- Function App (system-assigned identity) ------------------------------------------------------
resource funcBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionPrincipalId, storageBlobDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: storageBlobDataContributor
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Foreact Function App: host storage, sales/models/uploads/rejected blobs, deployment package.'
  }
}

resource funcTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionPrincipalId, storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: storageTableDataContributor
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Foreact Function App: forecasts, runs, models, stores, ingestions, access tables; Durable task hub.'
  }
}

resource funcQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionPrincipalId, storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: storageQueueDataContributor
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Foreact Function App: Durable Functions control and work-item queues; blob trigger poison queue.'
  }
}

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

// --- training pods (workload identity) ------------------------------------------------------------
resource trainingBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, trainingPrincipalId, storageBlobDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: storageBlobDataContributor
    principalId: trainingPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Foreact trainer pods: read sales history, write model artefacts.'
  }
}

resource trainingTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, trainingPrincipalId, storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: storageTableDataContributor
    principalId: trainingPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Foreact trainer pods: write forecasts and models, switch the current-run pointer.'
  }
}

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

output poolScalerRoleId string = poolScalerRole.id
