// Static Web App for the dashboard (static-web/). Standard SKU: required for a linked backend. `/api/*`
// is proxied to the Function App, with SWA's sign-in (Entra ID) putting the user in
// x-ms-client-principal; static-web/staticwebapp.config.json holds the routes and allowed roles.
// Content is uploaded by the deploy workflow (provider 'None': no repository link, no stored token).

param name string

@description('Static Web Apps regions: westus2, centralus, eastus2, westeurope, eastasia.')
@allowed(['westus2', 'centralus', 'eastus2', 'westeurope', 'eastasia'])
param location string

param tags object = {}

@description('Function App linked as the /api backend.')
param backendResourceId string

@description('Region of the Function App.')
param backendLocation string

resource site 'Microsoft.Web/staticSites@2023-12-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    provider: 'None'
    allowConfigFileUpdates: true
    stagingEnvironmentPolicy: 'Disabled'
    enterpriseGradeCdnStatus: 'Disabled'
    publicNetworkAccess: 'Enabled'
  }
}

resource backend 'Microsoft.Web/staticSites/linkedBackends@2023-12-01' = {
  parent: site
  name: 'functions'
  properties: {
    backendResourceId: backendResourceId
    region: backendLocation
  }
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostname
