// Container registry for the k8s-training image (FOREACT_AKS_IMAGE). No admin user and no anonymous
// pull: the AKS kubelet identity pulls with AcrPull, the deploy workflow builds with `az acr build`
// under its own Entra identity (roles.bicep).

@minLength(5)
@maxLength(50)
param name string
param location string
param tags object = {}

@allowed(['Basic', 'Standard', 'Premium'])
param sku string = 'Standard'

param logAnalyticsWorkspaceId string

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: name
  location: location
  tags: tags
  sku: { name: sku }
  //checkov:skip=CKV_AZURE_166: Quarantine and content trust need Premium; the only image is built from this repository by the deploy workflow (az acr build).
  //checkov:skip=CKV_AZURE_139: GitHub-hosted runners (az acr build) and AKS nodes without private endpoints pull over the public endpoint; admin user and anonymous pull are off.
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
    policies: {
      // Premium-only policies (retention, trust, quarantine) are ignored on Basic/Standard.
      retentionPolicy: sku == 'Premium' ? { status: 'enabled', days: 30 } : null
    }
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: registry
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      { category: 'ContainerRegistryRepositoryEvents', enabled: true }
      { category: 'ContainerRegistryLoginEvents', enabled: true }
    ]
  }
}

output id string = registry.id
output name string = registry.name
output loginServer string = registry.properties.loginServer
