// Production: geo-redundant storage, AKS uptime SLA, a warm HTTP instance, zone-redundant plan.
using '../main.bicep'

param environmentName = 'prod'
param location = 'westeurope'
param staticWebAppLocation = 'westeurope'
param storageSku = 'Standard_GZRS'
param blobSoftDeleteDays = 30
param logRetentionDays = 90
param morningScheduleUtc = '0 0 3 * * *'
param aksSkuTier = 'Standard'
param aksEntraAuth = true
param aksSystemNodeCount = 2
param aksTrainingMinNodes = 0
param aksTrainingMaxNodes = 20
// A chain of a few thousand stores' histories in the pooled step (docs/capacity.md §5).
param aksPooledMemoryMiB = 8192
param registrySku = 'Standard'
param functionsAlwaysReadyHttp = 1
param functionsZoneRedundant = true
param deployerPrincipalId = readEnvironmentVariable('FOREACT_DEPLOYER_OBJECT_ID', '')
param deployerPrincipalType = readEnvironmentVariable('FOREACT_DEPLOYER_TYPE', 'ServicePrincipal')
// No default: the deploy workflow sets the live (or new) commit's tag; a missing tag fails the build here.
param trainingImageTag = readEnvironmentVariable('FOREACT_IMAGE_TAG')
param apiAppClientId = readEnvironmentVariable('FOREACT_API_APP_ID', '')
param smokeClientId = readEnvironmentVariable('FOREACT_SMOKE_CLIENT_ID', '')
// On-call e-mail addresses, comma-separated (GitHub environment variable FOREACT_ALERT_EMAILS); docs/operations.md.
param alertEmails = readEnvironmentVariable('FOREACT_ALERT_EMAILS', '')
