// Foreact: everything one environment needs, in one resource group (design.md §1).
//
//   az deployment group create -g <rg> -f bicep/main.bicep -p bicep/params/<env>.bicepparam
//
// Modules: monitoring (Log Analytics + App Insights), storage twice (the host's account and the data
// account), registry (training image), aks (cluster, training pool, workload identity), functions (Flex
// Consumption, Node 22), events (uploads → ingestion queue), static-web-app (dashboard site, before the
// Function App, which gets its hostname as FOREACT_APP_ORIGIN), static-web-app-backend (the linked backend
// and the Function App's authentication, after both), roles (role assignments, each scoped to what it
// needs), alerts (action group and log search alerts; docs/operations.md).

targetScope = 'resourceGroup'

@description('Environment name; part of every resource name.')
@allowed(['dev', 'test', 'prod'])
param environmentName string

@description('Region of everything except the Static Web App.')
param location string = resourceGroup().location

@description('Region of the Static Web App (its own, shorter list of regions).')
@allowed(['westus2', 'centralus', 'eastus2', 'westeurope', 'eastasia'])
param staticWebAppLocation string = 'westeurope'

@description('Origins the dashboard is also served from (custom domains of the Static Web App), e.g. ["https://forecast.contoso.com"]. Its default host is always accepted; a POST with any other Origin is refused with 403.')
param extraAppOrigins array = []

@description('Short name of the system; lowercase letters only.')
@minLength(3)
@maxLength(10)
param baseName string = 'foreact'

@description('Storage redundancy.')
param storageSku string = 'Standard_ZRS'

@description('Days deleted blobs stay restorable.')
param blobSoftDeleteDays int = 7

@description('Log Analytics retention (days).')
param logRetentionDays int = 30

@description('NCRONTAB (6 fields) of the morning run, in UTC: Flex Consumption has no WEBSITE_TIME_ZONE.')
param morningScheduleUtc string = '0 0 3 * * *'

@description('Tag of the training image in the registry: the commit sha (the deploy workflow), or the tag azd-release.sh pushed. No default: a moving tag such as `latest` would let a push change what runs.')
@minLength(1)
param trainingImageTag string

@description('AKS: Free (dev/test) or Standard (prod) control plane.')
@allowed(['Free', 'Standard'])
param aksSkuTier string = 'Free'

@description('AKS: Entra ID auth + Azure RBAC, local accounts off (recommended). See docs/deployment.md before turning off.')
param aksEntraAuth bool = true

@description('AKS: Entra groups with cluster-admin (break-glass).')
param aksAdminGroupObjectIds array = []

param aksKubernetesVersion string = ''
param aksSystemVmSize string = 'Standard_D2ds_v5'
param aksSystemNodeCount int = 1
param aksTrainingVmSize string = 'Standard_D4ds_v5'
param aksTrainingMinNodes int = 0
param aksTrainingMaxNodes int = 10

@description('AKS: memory of the morning run\'s pooled Job in MiB (request = limit). It holds every store\'s history in one process (docs/capacity.md §5); the bound keeps it schedulable on one Standard_D4ds_v5 training node (16 GiB, ~12.5 GiB allocatable).')
@minValue(512)
@maxValue(12288)
param aksPooledMemoryMiB int = 4096

@description('AKS: encryption at host (needs the Microsoft.Compute/EncryptionAtHost feature registered once per subscription).')
param aksEncryptionAtHost bool = true

@description('Registry SKU.')
@allowed(['Basic', 'Standard', 'Premium'])
param registrySku string = 'Standard'

@description('Flex Consumption: always-ready HTTP instances (0 = scale to zero).')
param functionsAlwaysReadyHttp int = 0

@description('Flex Consumption: zone-redundant plan (regions with zone support).')
param functionsZoneRedundant bool = false

@description('More Function App settings (no secrets), e.g. {"FOREACT_HORIZON_DAYS": "90"}.')
param functionsExtraAppSettings object = {}

@description('Object id of the deploy workflow\'s principal; gets AKS RBAC Cluster Admin to apply bicep/k8s/. Empty = none.')
param deployerPrincipalId string = ''

@description('Principal type of deployerPrincipalId: ServicePrincipal (the workflow) or User (a person deploying by hand).')
@allowed(['ServicePrincipal', 'User', 'Group'])
param deployerPrincipalType string = 'ServicePrincipal'

@description('Client id of the app registration representing the API (docs/deployment.md, one-time setup). Empty = only the Static Web App may call the Function App.')
param apiAppClientId string = ''

@description('Client id of the deploy identity: its app-only tokens for apiAppClientId are accepted, as the `operator` role (smoke test, deploy-window gate). Empty = none, and no Entra provider on the Function App.')
param smokeClientId string = ''

@description('Alerts: e-mail addresses of the on-call, comma-separated (the action group\'s receivers). Empty = alerts show in the portal only.')
param alertEmails string = ''

@description('Alerts: local time (HH:mm) by which the morning run must have finished and stores be fresh.')
param morningDeadlineLocal string = '08:30'

@description('Alerts: IANA time zone of morningDeadlineLocal (the stores\' zone).')
param alertTimeZone string = 'Europe/Amsterdam'

@description('Alerts: per cent of stores stale at the deadline above which the morning alert fires.')
param alertMaxStaleSharePercent int = 10

@description('Alerts: per cent of HTTP requests answered 5xx in 15 minutes, with at least alert5xxMinCount of them.')
param alert5xxPercent int = 5
param alert5xxMinCount int = 10

@description('Alerts: a store\'s realised 7-day WAPE above this per cent of its backtest WAPE (200 = twice).')
param alertAccuracyFactorPercent int = 200

param tags object = {}

var suffix = uniqueString(subscription().id, resourceGroup().id, baseName, environmentName)
var allTags = union({ system: baseName, environment: environmentName }, tags)
var names = {
  logAnalytics: 'log-${baseName}-${environmentName}'
  appInsights: 'appi-${baseName}-${environmentName}'
  storage: take('st${baseName}${environmentName}${suffix}', 24)
  dataStorage: take('stdata${baseName}${environmentName}${suffix}', 24)
  registry: take('cr${baseName}${environmentName}${suffix}', 50)
  aks: 'aks-${baseName}-${environmentName}'
  plan: 'asp-${baseName}-${environmentName}'
  functionApp: 'func-${baseName}-${environmentName}-${take(suffix, 6)}'
  staticWebApp: 'stapp-${baseName}-${environmentName}'
  eventTopic: 'evgt-${baseName}-${environmentName}-storage'
}

var alertEmailAddresses = filter(split(alertEmails, ','), address => !empty(trim(address)))

// The only applications whose app-only tokens reach the Function App (authsettingsV2) and that the app
// then treats as `operator` (FOREACT_TRUSTED_APP_IDS). Empty without an API app registration or a smoke
// client: an Entra provider with an empty allowedApplications would admit every app in the tenant.
var trustedClientAppIds = empty(apiAppClientId) || empty(smokeClientId) ? [] : [smokeClientId]

// The data account's contents (core/config.ts names) and who gets which of them (roles.bicep).
var data = {
  containers: ['sales', 'models', 'uploads', 'rejected', 'drivers']
  tables: ['forecasts', 'runs', 'models', 'stores', 'ingestions', 'access', 'realised', 'ratelimits', 'overrides']
  ingestQueue: 'ingest-events'
  // Where the queue trigger moves a message after maxDequeueCount failures (the Functions convention).
  ingestPoisonQueue: 'ingest-events-poison'
}
var trainerReadContainers = ['sales', 'drivers']
var trainerWriteContainers = ['models']
var trainerTables = ['forecasts', 'runs', 'models', 'stores']
// Planners' promotion overrides set the promotion driver on their days before training (read only).
var trainerReadTables = ['overrides']

// Flex Consumption deployment packages (functionAppConfig.deployment.storage), in the host account.
var deploymentContainerName = 'app-package'

var trainingNamespace = 'foreact'
var trainingServiceAccount = 'foreact-training'
var trainingPoolName = 'training'

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: names.logAnalytics
    appInsightsName: names.appInsights
    location: location
    tags: allTags
    retentionDays: logRetentionDays
  }
}

// The host creates its own task hub queues, tables and blobs here; nothing of the app's data lives here.
module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: names.storage
    location: location
    tags: allTags
    skuName: storageSku
    softDeleteDays: blobSoftDeleteDays
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceId
    containerNames: [deploymentContainerName]
  }
}

module dataStorage 'modules/storage.bicep' = {
  name: 'data-storage'
  params: {
    name: names.dataStorage
    location: location
    tags: allTags
    skuName: storageSku
    softDeleteDays: blobSoftDeleteDays
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceId
    containerNames: data.containers
    tableNames: data.tables
    queueNames: [data.ingestQueue, data.ingestPoisonQueue]
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  params: {
    name: names.registry
    location: location
    tags: allTags
    sku: registrySku
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceId
  }
}

module aks 'modules/aks.bicep' = {
  name: 'aks'
  params: {
    name: names.aks
    location: location
    tags: allTags
    skuTier: aksSkuTier
    kubernetesVersion: aksKubernetesVersion
    entraAuth: aksEntraAuth
    adminGroupObjectIds: aksAdminGroupObjectIds
    systemVmSize: aksSystemVmSize
    systemNodeCount: aksSystemNodeCount
    trainingVmSize: aksTrainingVmSize
    trainingMinNodes: aksTrainingMinNodes
    trainingMaxNodes: aksTrainingMaxNodes
    trainingPoolName: trainingPoolName
    trainingNamespace: trainingNamespace
    trainingServiceAccount: trainingServiceAccount
    encryptionAtHost: aksEncryptionAtHost
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceId
  }
}

// The site first: the Function App needs its hostname (FOREACT_APP_ORIGIN), and the link between the two
// (staticWebAppBackend) comes after both.
module staticWebApp 'modules/static-web-app.bicep' = {
  name: 'static-web-app'
  params: {
    name: names.staticWebApp
    location: staticWebAppLocation
    tags: allTags
  }
}

module functions 'modules/functions.bicep' = {
  name: 'functions'
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: allTags
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}${deploymentContainerName}'
    dataStorage: {
      blobServiceUri: dataStorage.outputs.blobEndpoint
      tableServiceUri: dataStorage.outputs.tableEndpoint
      queueServiceUri: dataStorage.outputs.queueEndpoint
    }
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceId
    morningSchedule: morningScheduleUtc
    alwaysReadyHttpInstances: functionsAlwaysReadyHttp
    zoneRedundant: functionsZoneRedundant
    extraAppSettings: functionsExtraAppSettings
    trustedClientAppIds: trustedClientAppIds
    staticWebAppHostName: staticWebApp.outputs.defaultHostName
    extraAppOrigins: extraAppOrigins
    aks: {
      subscriptionId: subscription().subscriptionId
      resourceGroup: resourceGroup().name
      clusterName: aks.outputs.name
      poolName: aks.outputs.trainingPoolName
      poolMin: aksTrainingMinNodes
      poolMax: aksTrainingMaxNodes
      pooledMemoryMiB: aksPooledMemoryMiB
      namespace: aks.outputs.trainingNamespace
      serviceAccount: aks.outputs.trainingServiceAccount
      workloadClientId: aks.outputs.trainingIdentityClientId
      image: '${registry.outputs.loginServer}/foreact-trainer:${trainingImageTag}'
    }
  }
}

module events 'modules/events.bicep' = {
  name: 'events'
  params: {
    name: names.eventTopic
    location: location
    tags: allTags
    storageAccountName: dataStorage.outputs.name
    queueName: data.ingestQueue
  }
}

module staticWebAppBackend 'modules/static-web-app-backend.bicep' = {
  name: 'static-web-app-backend'
  params: {
    staticWebAppName: staticWebApp.outputs.name
    functionAppName: functions.outputs.name
    backendLocation: functions.outputs.location
    apiAppClientId: apiAppClientId
    trustedClientAppIds: trustedClientAppIds
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    namePrefix: '${baseName}-${environmentName}'
    location: location
    tags: allTags
    workspaceId: monitoring.outputs.workspaceId
    emailAddresses: alertEmailAddresses
    morningDeadlineLocal: morningDeadlineLocal
    timeZone: alertTimeZone
    maxStaleSharePercent: alertMaxStaleSharePercent
    max5xxPercent: alert5xxPercent
    min5xxCount: alert5xxMinCount
    accuracyFactorPercent: alertAccuracyFactorPercent
    ingestFunctionName: 'ingest-sales'
    ingestPoisonQueue: data.ingestPoisonQueue
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    hostStorageAccountName: storage.outputs.name
    dataStorageAccountName: dataStorage.outputs.name
    functionContainers: data.containers
    functionTables: data.tables
    functionQueues: [data.ingestQueue, data.ingestPoisonQueue]
    trainerReadContainers: trainerReadContainers
    trainerWriteContainers: trainerWriteContainers
    trainerTables: trainerTables
    trainerReadTables: trainerReadTables
    deployerUploadContainer: 'uploads'
    deployerReadTable: 'ingestions'
    appInsightsName: monitoring.outputs.appInsightsName
    logAnalyticsWorkspaceName: monitoring.outputs.workspaceName
    alertRulePrincipalIds: alerts.outputs.rulePrincipalIds
    aksName: aks.outputs.name
    registryName: registry.outputs.name
    functionPrincipalId: functions.outputs.principalId
    trainingPrincipalId: aks.outputs.trainingIdentityPrincipalId
    kubeletPrincipalId: aks.outputs.kubeletObjectId
    trainingNamespace: trainingNamespace
    aksEntraAuth: aksEntraAuth
    deployerPrincipalId: deployerPrincipalId
    deployerPrincipalType: deployerPrincipalType
  }
}

// --- for the deploy workflow ----------------------------------------------------------------------
output resourceGroupName string = resourceGroup().name
output storageAccountName string = storage.outputs.name
output dataStorageAccountName string = dataStorage.outputs.name
output dataBlobEndpoint string = dataStorage.outputs.blobEndpoint
output dataTableEndpoint string = dataStorage.outputs.tableEndpoint
output apiAppClientId string = apiAppClientId
output morningScheduleUtc string = morningScheduleUtc
output functionAppName string = functions.outputs.name
output functionAppHostName string = functions.outputs.defaultHostName
output staticWebAppName string = staticWebApp.outputs.name
output staticWebAppHostName string = staticWebApp.outputs.defaultHostName
output aksName string = aks.outputs.name
output aksEntraAuth bool = aksEntraAuth
output trainingNamespace string = trainingNamespace
output trainingServiceAccount string = trainingServiceAccount
output trainingIdentityClientId string = aks.outputs.trainingIdentityClientId
output registryName string = registry.outputs.name
output registryLoginServer string = registry.outputs.loginServer
output trainingImage string = '${registry.outputs.loginServer}/foreact-trainer:${trainingImageTag}'
output eventGridTopicName string = events.outputs.name
output ingestSubscriptionName string = events.outputs.subscriptionName
output appInsightsName string = monitoring.outputs.appInsightsName
output logAnalyticsWorkspaceName string = monitoring.outputs.workspaceName
output alertActionGroupId string = alerts.outputs.actionGroupId
