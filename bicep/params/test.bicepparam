// Test: production shape at a smaller scale, for the release candidate's smoke and load tests.
using '../main.bicep'

param environmentName = 'test'
param location = 'westeurope'
param staticWebAppLocation = 'westeurope'
param storageSku = 'Standard_ZRS'
param blobSoftDeleteDays = 14
param logRetentionDays = 30
param morningScheduleUtc = '0 0 3 * * *'
param aksSkuTier = 'Free'
param aksEntraAuth = true
param aksSystemNodeCount = 1
param aksTrainingMinNodes = 0
param aksTrainingMaxNodes = 5
param registrySku = 'Standard'
param functionsAlwaysReadyHttp = 0
param functionsZoneRedundant = false
param deployerPrincipalId = readEnvironmentVariable('FOREACT_DEPLOYER_OBJECT_ID', '')
param deployerPrincipalType = readEnvironmentVariable('FOREACT_DEPLOYER_TYPE', 'ServicePrincipal')
// No default: the deploy workflow sets the live (or new) commit's tag; a missing tag fails the build here.
param trainingImageTag = readEnvironmentVariable('FOREACT_IMAGE_TAG')
param apiAppClientId = readEnvironmentVariable('FOREACT_API_APP_ID', '')
param smokeClientId = readEnvironmentVariable('FOREACT_SMOKE_CLIENT_ID', '')
// On-call e-mail addresses, comma-separated (GitHub environment variable FOREACT_ALERT_EMAILS); docs/operations.md.
param alertEmails = readEnvironmentVariable('FOREACT_ALERT_EMAILS', '')
