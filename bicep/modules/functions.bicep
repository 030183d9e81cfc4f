// Function App (Node 22, programming model v4, Durable Functions) on the Flex Consumption plan.
// Identity only: the host storage (AzureWebJobsStorage__accountName), the data storage
// (FOREACT_STORAGE__*), the deployment container and App Insights are all reached with the app's
// system-assigned identity; roles.bicep grants the roles. Who may call it is declared in
// static-web-app-backend.bicep (authsettingsV2, next to the link that needs it), deployed after this
// module: here the Static Web App is only its hostname (FOREACT_APP_ORIGIN), so there is no cycle.
//
// Flex Consumption constraints that shape this file (see docs/deployment.md):
// - FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION are not app settings here: the runtime is
//   functionAppConfig.runtime.
// - WEBSITE_TIME_ZONE is not supported: FOREACT_MORNING_SCHEDULE is evaluated in UTC.
// - No polling blob trigger: uploads arrive as Event Grid events in a Storage queue (events.bicep).

param name string
param planName string
param location string
param tags object = {}

@description('Host storage account (AzureWebJobsStorage): deployment package, Durable task hub. Never the app\'s data.')
param storageAccountName string

@description('Data storage account endpoints (FOREACT_STORAGE): tables, containers, the ingestion queue (the queue trigger\'s connection).')
param dataStorage object

@description('Blob container URL for Flex Consumption deployment packages.')
param deploymentContainerUrl string

@description('App Insights connection string (an endpoint address; local auth is off on the component).')
param appInsightsConnectionString string

param logAnalyticsWorkspaceId string

@description('NCRONTAB (6 fields, UTC on Flex Consumption) of the morning run.')
param morningSchedule string = '0 0 3 * * *'

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Spread the plan\'s instances over availability zones (regions with Flex Consumption zone support).')
param zoneRedundant bool = false

@description('Always-ready instances for the HTTP group (0 = scale to zero; cold starts on first request).')
@minValue(0)
param alwaysReadyHttpInstances int = 0

@description('Training dispatch settings (core/dispatch-config.ts).')
param aks object

@description('More app settings (name: value), e.g. FOREACT_HORIZON_DAYS. Must not contain secrets.')
param extraAppSettings object = {}

@description('Client ids whose app-only Entra tokens the app accepts as the `operator` role (the same list authsettingsV2 admits).')
param trustedClientAppIds array = []

@description('Stores an operator (the smoke test) may start runs of: the smoke test\'s own store.')
param operatorStores array = ['smoke']

@description('Default hostname of the Static Web App that serves the dashboard (static-web-app.bicep): its origin is the Origin of the dashboard\'s requests, which reach this app through the linked backend.')
param staticWebAppHostName string

@description('More origins the dashboard is served from (custom domains of the Static Web App), e.g. ["https://forecast.contoso.com"]: scheme and host, no path.')
param extraAppOrigins array = []

var baseSettings = {
  // Host storage with the system-assigned identity (no key, no connection string).
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  // The app's data, in its own account. No __clientId: the credential is the system-assigned identity.
  FOREACT_STORAGE__blobServiceUri: dataStorage.blobServiceUri
  FOREACT_STORAGE__tableServiceUri: dataStorage.tableServiceUri
  FOREACT_STORAGE__queueServiceUri: dataStorage.queueServiceUri
  FOREACT_STORAGE__credential: 'managedidentity'
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  // Telemetry is sent with an Entra token (the component has local auth off).
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
  FOREACT_MORNING_SCHEDULE: morningSchedule
  FOREACT_DISPATCH: 'aks'
  FOREACT_AKS_SUBSCRIPTION_ID: aks.subscriptionId
  FOREACT_AKS_RESOURCE_GROUP: aks.resourceGroup
  FOREACT_AKS_CLUSTER: aks.clusterName
  FOREACT_AKS_POOL: aks.poolName
  FOREACT_AKS_POOL_MIN: string(aks.poolMin)
  FOREACT_AKS_POOL_MAX: string(aks.poolMax)
  FOREACT_AKS_POOLED_MEMORY_MIB: string(aks.pooledMemoryMiB)
  FOREACT_AKS_NAMESPACE: aks.namespace
  FOREACT_AKS_SERVICE_ACCOUNT: aks.serviceAccount
  FOREACT_AKS_WORKLOAD_CLIENT_ID: aks.workloadClientId
  FOREACT_AKS_IMAGE: aks.image
  // Who may call as `operator` (functions/http/principal.ts), and on which stores.
  FOREACT_TRUSTED_APP_IDS: join(trustedClientAppIds, ',')
  FOREACT_OPERATOR_STORES: join(operatorStores, ',')
  // The Origins a state-changing request may carry (functions/http/csrf.ts): the dashboard's, whose
  // requests arrive here addressed to this app's own host. Any other Origin is refused with 403.
  FOREACT_APP_ORIGIN: join(concat(['https://${staticWebAppHostName}'], extraAppOrigins), ',')
}

var appSettings = union(baseSettings, extraAppSettings)

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  //checkov:skip=CKV_AZURE_225: Zone redundancy is the zoneRedundant parameter (true in prod.bicepparam); Flex Consumption supports it only in some regions, so dev/test leave it off.
  properties: {
    reserved: true
    zoneRedundant: zoneRedundant
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  //checkov:skip=CKV_AZURE_222: The Static Web App's linked backend reaches the app over its public endpoint (SWA has no private link to a backend); authsettingsV2 below answers 401 to every request that lacks the Static Web App's (or a trusted app's) Entra token.
  //checkov:skip=CKV_AZURE_17: The only caller is the Static Web App proxy (and the smoke test with an Entra token), neither of which presents a client certificate; authentication is authsettingsV2.
  //checkov:skip=CKV_AZURE_212: Flex Consumption scales instances by itself (no fixed instance count); alwaysReady keeps warm HTTP instances where wanted.
  //checkov:skip=CKV_AZURE_213: App Service health check is not available on Flex Consumption; the deploy workflow's smoke test calls /api/health.
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        alwaysReady: alwaysReadyHttpInstances > 0 ? [{ name: 'http', instanceCount: alwaysReadyHttpInstances }] : []
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [for s in items(appSettings): { name: s.key, value: s.value }]
    }
  }
}

// No publishing passwords: deployments authenticate with Entra ID (az functionapp deployment ...).
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'scm'
  properties: { allow: false }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'ftp'
  properties: { allow: false }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: app
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [{ category: 'FunctionAppLogs', enabled: true }]
    metrics: [{ category: 'AllMetrics', enabled: true }]
  }
}

output id string = app.id
output name string = app.name
output location string = app.location
output defaultHostName string = app.properties.defaultHostName
output principalId string = app.identity.principalId
