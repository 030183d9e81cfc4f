// The Static Web App's linked backend (`/api/*` → the Function App) and the Function App's platform
// authentication. Deployed after both the site (static-web-app.bicep) and the Function App
// (functions.bicep), which therefore need not know each other: the Function App gets the site's hostname
// as a plain parameter (FOREACT_APP_ORIGIN), and this module links them.
//
// The Function App accepts only this Static Web App (and, when apiAppClientId is set AND trustedClientAppIds
// is not empty, app-only Entra tokens of those applications: the smoke test and the deploy gate). Everything else gets 401 from the platform before any
// function runs, so a forged x-ms-client-principal sent straight to the Function App is never read.
// The platform documents that linking restricts the backend to the Static Web App only when the app had
// no authentication settings of its own; backendAuth below makes that restriction explicit.

@description('Name of the Static Web App (static-web-app.bicep, same resource group).')
param staticWebAppName string

@description('Name of the Function App linked as the /api backend (same resource group).')
param functionAppName string

@description('Region of the Function App.')
param backendLocation string

@description('Client id of the Entra app registration that represents the API (tokens with audience api://<id>). Empty = no Entra provider: only the Static Web App gets in, and the smoke test cannot call the API.')
param apiAppClientId string = ''

@description('Client ids of the applications whose app-only tokens the Entra provider accepts (the deploy identity, for the smoke test and the deploy-window gate). Empty = no Entra provider: an empty allowedApplications would restrict nothing.')
param trustedClientAppIds array = []

resource site 'Microsoft.Web/staticSites@2023-12-01' existing = {
  name: staticWebAppName
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource backend 'Microsoft.Web/staticSites/linkedBackends@2023-12-01' = {
  parent: site
  name: 'functions'
  properties: {
    backendResourceId: functionApp.id
    region: backendLocation
  }
}

// Platform authentication (Easy Auth). requireAuthentication + Return401: a request without a token of
// an enabled provider never reaches the functions. No excludedPaths: nothing on this host is anonymous
// (health is anonymous at the Static Web App, which still presents its own token here).
resource backendAuth 'Microsoft.Web/sites/config@2024-04-01' = {
  //checkov:skip=CKV_AZURE_13: This IS the authentication: authsettingsV2 states it as platform.enabled + requireAuthentication (tests/bicep asserts both); the check reads `enabled` of the retired v1 authsettings.
  //checkov:skip=CKV_AZURE_63: HTTP logging is a property of the site's `web` config; checkov applies it to every sites/config, including this authsettingsV2 one.
  //checkov:skip=CKV_AZURE_65: Detailed error messages are a property of the site's `web` config, not of authsettingsV2.
  //checkov:skip=CKV_AZURE_66: Failed request tracing is a property of the site's `web` config, not of authsettingsV2.
  //checkov:skip=CKV_AZURE_80: The .NET framework version is a property of the site's `web` config (and this is a Node app).
  //checkov:skip=CKV_AZURE_88: Azure Files mounts are the `azurestorageaccounts` config, not authsettingsV2; the app mounts none.
  //checkov:skip=CKV_AZURE_222: Public network access is a property of the site (skipped there with its reason), not of authsettingsV2.
  parent: functionApp
  name: 'authsettingsV2'
  // After the link: linking writes its own provider entry; this declaration is what stays.
  dependsOn: [backend]
  properties: {
    platform: {
      enabled: true
      runtimeVersion: '~1'
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
    }
    httpSettings: {
      requireHttps: true
      routes: { apiPrefix: '/.auth' }
      forwardProxy: { convention: 'NoProxy' }
    }
    identityProviders: {
      // The provider the Static Web App link registers; declared here so that the restriction is in the
      // template, not an implicit side effect of linking (and survives an unlink/relink).
      azureStaticWebApps: {
        enabled: true
        registration: { clientId: site.properties.defaultHostname }
      }
      azureActiveDirectory: {
        // Never with an empty allowlist: allowedApplications [] admits every application in the tenant.
        enabled: !empty(apiAppClientId) && !empty(trustedClientAppIds)
        registration: {
          clientId: empty(apiAppClientId) ? null : apiAppClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: empty(apiAppClientId) ? [] : ['api://${apiAppClientId}', apiAppClientId]
          // App-only tokens of these clients only: no user of the tenant gets in this way.
          defaultAuthorizationPolicy: {
            allowedApplications: trustedClientAppIds
          }
        }
        login: { disableWWWAuthenticate: false }
      }
      // Sign-in with every other provider stays off.
      apple: { enabled: false }
      facebook: { enabled: false }
      gitHub: { enabled: false }
      google: { enabled: false }
      legacyMicrosoftAccount: { enabled: false }
      twitter: { enabled: false }
    }
    login: {
      tokenStore: { enabled: false }
    }
  }
}

output backendAuthRequired bool = backendAuth.properties.globalValidation.requireAuthentication
