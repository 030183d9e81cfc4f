// Static Web App for the dashboard (static-web/). Standard SKU: required for a linked backend. `/api/*`
// is proxied to the Function App, with SWA's sign-in (Entra ID) putting the user in
// x-ms-client-principal; static-web/staticwebapp.config.json holds the routes and allowed roles.
// Content is uploaded by the deploy workflow (provider 'None': no repository link, no stored token).
//
// Only the site, with no reference to the Function App: its default hostname is an input of the Function
// App (FOREACT_APP_ORIGIN, the Origin the dashboard's requests carry; functions/http/csrf.ts). The link to
// the Function App and the Function App's authentication, which need both, are in
// static-web-app-backend.bicep.

param name string

@description('Static Web Apps regions: westus2, centralus, eastus2, westeurope, eastasia.')
@allowed(['westus2', 'centralus', 'eastus2', 'westeurope', 'eastasia'])
param location string

param tags object = {}

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

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostname
