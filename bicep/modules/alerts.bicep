// Alerts for the on-call: an action group that e-mails them and four log search alerts over the Log
// Analytics workspace (the workspace-based App Insights tables AppEvents, AppMetrics, AppRequests,
// AppExceptions, AppTraces, and the data account's StorageQueueLogs). The queries live beside this file
// in bicep/alerts/*.kql; this module prepends each query's parameters as `let` statements.
// docs/operations.md says what each alert means and what to do, and lists the telemetry the app emits.
//
// Each rule runs its query as its own system-assigned identity, which holds Log Analytics Reader on this
// workspace only (roles.bicep): without an identity a rule queries with the rights of whoever last
// deployed it, and stops working when that deploy identity loses them.
//
// All rules are stateful (autoMitigate): one notification when the condition starts, one when it clears.

@description('Prefix of the rule names, e.g. foreact-dev.')
param namePrefix string

param location string
param tags object = {}

@description('Log Analytics workspace (workspace-based App Insights and the storage logs) the rules query.')
param workspaceId string

@description('E-mail addresses the action group notifies. Empty = the alerts show in the portal only.')
param emailAddresses array = []

@description('Rules enabled (false: created but not evaluated, e.g. while an environment is being set up).')
param enabled bool = true

@description('Local time (HH:mm) by which the morning run must have finished and stores be fresh.')
@minLength(5)
@maxLength(5)
param morningDeadlineLocal string = '08:30'

@description('IANA time zone of morningDeadlineLocal (the stores\' zone), e.g. Europe/Amsterdam.')
param timeZone string = 'Europe/Amsterdam'

@description('Share of stale stores (per cent of all stores) above which the morning alert fires at the deadline.')
@minValue(0)
@maxValue(100)
param maxStaleSharePercent int = 10

@description('5xx alert: share of HTTP requests (per cent) in 15 minutes.')
@minValue(1)
@maxValue(100)
param max5xxPercent int = 5

@description('5xx alert: at least this many 5xx answers in the 15 minutes (a lone error on a quiet night does not page).')
@minValue(1)
param min5xxCount int = 10

@description('Accuracy alert: realised 7-day WAPE above this per cent of the backtest WAPE (200 = k of 2).')
@minValue(100)
param accuracyFactorPercent int = 200

@description('Name of the queue-triggered ingestion function (its operation_Name in App Insights).')
param ingestFunctionName string = 'ingest-sales'

@description('Poison queue of the ingestion queue (the Functions host moves a message there after maxDequeueCount failures).')
param ingestPoisonQueue string = 'ingest-events-poison'

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-${namePrefix}-oncall'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take(replace(namePrefix, '-', ''), 12)
    enabled: true
    emailReceivers: [
      for (address, i) in emailAddresses: {
        name: 'oncall-${i}'
        emailAddress: trim(address)
        useCommonAlertSchema: true
      }
    ]
  }
}

var actions = {
  actionGroups: [actionGroup.id]
  customProperties: { runbook: 'docs/operations.md' }
}

// Shared by every rule: one row = the condition holds.
var anyRow = {
  timeAggregation: 'Count'
  operator: 'GreaterThan'
  threshold: 0
  failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
}

// --- the morning run has not finished, or too many stores are stale, at the deadline ---------------
// Every 5 minutes: fires at most 5 minutes after the deadline (08:30), half an hour before the 09:00
// promise. The query looks back to local midnight, so the window is a day.
var morningRunQuery = 'let timeZone = "${timeZone}";\nlet deadlineLocal = totimespan("${morningDeadlineLocal}");\nlet maxStaleShare = ${maxStaleSharePercent} / 100.0;\n${loadTextContent('../alerts/morning-run.kql')}'

resource morningRunAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-morning-run'
  location: location
  tags: tags
  kind: 'LogAlert'
  identity: { type: 'SystemAssigned' }
  properties: {
    displayName: 'Foreact ${namePrefix}: morning run late or stores stale at ${morningDeadlineLocal}'
    description: 'No MorningRunCompleted event since local midnight (${timeZone}) by ${morningDeadlineLocal}, or foreact.stores.stale_share above ${maxStaleSharePercent} %. Planners expect forecasts at 09:00. See docs/operations.md.'
    severity: 1
    enabled: enabled
    scopes: [workspaceId]
    evaluationFrequency: 'PT5M'
    windowSize: 'P1D'
    autoMitigate: true
    // A new workspace has no App* rows yet; the queries are pinned by tests/bicep instead.
    skipQueryValidation: true
    criteria: { allOf: [union(anyRow, { query: morningRunQuery })] }
    actions: actions
  }
}

// --- 5xx rate of the Function App's HTTP requests --------------------------------------------------
var http5xxQuery = 'let minFailed = ${min5xxCount};\nlet maxFailedPercent = ${max5xxPercent}.0;\n${loadTextContent('../alerts/http-5xx.kql')}'

resource http5xxAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-http-5xx'
  location: location
  tags: tags
  kind: 'LogAlert'
  identity: { type: 'SystemAssigned' }
  properties: {
    displayName: 'Foreact ${namePrefix}: API answers 5xx'
    description: 'At least ${min5xxCount} HTTP requests and ${max5xxPercent} % of them answered 5xx in 15 minutes. See docs/operations.md.'
    severity: 1
    enabled: enabled
    scopes: [workspaceId]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    autoMitigate: true
    skipQueryValidation: true
    criteria: { allOf: [union(anyRow, { query: http5xxQuery })] }
    actions: actions
  }
}

// --- ingestion failures and poison messages ---------------------------------------------------------
var ingestionQuery = 'let ingestFunction = "${ingestFunctionName}";\nlet poisonQueue = "${ingestPoisonQueue}";\n${loadTextContent('../alerts/ingestion.kql')}'

resource ingestionAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-ingestion'
  location: location
  tags: tags
  kind: 'LogAlert'
  identity: { type: 'SystemAssigned' }
  properties: {
    displayName: 'Foreact ${namePrefix}: ingestion failed or poison message'
    description: 'Exceptions, error logs or failed invocations of ${ingestFunctionName}, or a message put on ${ingestPoisonQueue}, in 15 minutes. Bad rows are not failures (they go to rejected/). See docs/operations.md.'
    severity: 2
    enabled: enabled
    scopes: [workspaceId]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    autoMitigate: true
    skipQueryValidation: true
    criteria: { allOf: [union(anyRow, { query: ingestionQuery })] }
    actions: actions
  }
}

// --- a store's realised accuracy far worse than its backtest ----------------------------------------
// Accuracy changes when sales arrive (daily): every 6 hours over the latest value per store (2 days is
// the longest a log search alert looks back; the 7 days are inside the metric).
var accuracyQuery = 'let factor = ${accuracyFactorPercent} / 100.0;\n${loadTextContent('../alerts/accuracy.kql')}'

resource accuracyAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-accuracy'
  location: location
  tags: tags
  kind: 'LogAlert'
  identity: { type: 'SystemAssigned' }
  properties: {
    displayName: 'Foreact ${namePrefix}: store accuracy far past its backtest'
    description: 'A store\'s foreact.store.realised_wape (last 7 days) is above ${accuracyFactorPercent} % of its backtest_wape. See docs/operations.md.'
    severity: 3
    enabled: enabled
    scopes: [workspaceId]
    evaluationFrequency: 'PT6H'
    windowSize: 'P2D'
    autoMitigate: true
    skipQueryValidation: true
    criteria: { allOf: [union(anyRow, { query: accuracyQuery })] }
    actions: actions
  }
}

output actionGroupId string = actionGroup.id
output ruleIds array = [morningRunAlert.id, http5xxAlert.id, ingestionAlert.id, accuracyAlert.id]
@description('Principal ids of the rules\' system-assigned identities: Log Analytics Reader on the workspace (roles.bicep).')
output rulePrincipalIds array = [
  morningRunAlert.identity.principalId
  http5xxAlert.identity.principalId
  ingestionAlert.identity.principalId
  accuracyAlert.identity.principalId
]
