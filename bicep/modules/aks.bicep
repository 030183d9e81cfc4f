// AKS cluster for the training Jobs: a small system pool for cluster add-ons and a `training` user pool
// that the cluster autoscaler keeps at zero nodes outside the morning run. The morning-run orchestration
// raises the pool's minCount ahead of the work and restores it afterwards (core/adapters/dispatch/
// aks-cluster.ts); the autoscaler handles everything in between.
//
// Identity: OIDC issuer + workload identity. Training pods run as the Kubernetes service account
// `<namespace>/<serviceAccountName>`, which is federated with the user-assigned identity created here;
// that identity (not the nodes) holds the storage data roles (roles.bicep).

param name string
param location string
param tags object = {}

@description('Kubernetes version; empty = the region\'s current default.')
param kubernetesVersion string = ''

@description('Free for dev/test; Standard for prod (uptime SLA).')
@allowed(['Free', 'Standard'])
param skuTier string = 'Free'

@description('Microsoft Entra ID authentication with Azure RBAC for Kubernetes authorization, local accounts off. false = Kubernetes RBAC with local accounts (the client-certificate kubeconfig that listClusterUserCredentials returns); see docs/deployment.md.')
param entraAuth bool = true

@description('Entra group(s) whose members are cluster admins (break-glass; may be empty).')
param adminGroupObjectIds array = []

@description('System pool VM size; must have a local temp disk >= 64 GiB for the ephemeral OS disk (the "d" sizes).')
param systemVmSize string = 'Standard_D2ds_v5'
@minValue(1)
param systemNodeCount int = 1
@minValue(1)
param systemMaxNodes int = 3

@description('VM size of the training pool (temp disk >= 128 GiB for the ephemeral OS disk). The Job requests 500m CPU / 512Mi, limit 1 CPU / 1Gi.')
param trainingVmSize string = 'Standard_D4ds_v5'

@description('Training pool nodes at rest (0 = no cost between runs).')
@minValue(0)
param trainingMinNodes int = 0

@description('Upper bound for the autoscaler and for the proactive scale-up (FOREACT_AKS_POOL_MAX).')
@minValue(1)
param trainingMaxNodes int = 10

@description('Name of the training agent pool (FOREACT_AKS_POOL; also the Job\'s nodeSelector agentpool=...).')
@maxLength(12)
param trainingPoolName string = 'training'

@description('Namespace of the training Jobs (FOREACT_AKS_NAMESPACE).')
param trainingNamespace string = 'foreact'

@description('Service account of the training pods (FOREACT_AKS_SERVICE_ACCOUNT), federated with the training identity.')
param trainingServiceAccount string = 'foreact-training'

param logAnalyticsWorkspaceId string

@description('Encryption at host for node disks and caches. Needs the subscription feature Microsoft.Compute/EncryptionAtHost registered once (docs/deployment.md).')
param encryptionAtHost bool = true

var trainingIdentityName = 'id-${name}-training'

var aadProfile = {
  managed: true
  enableAzureRBAC: true
  adminGroupObjectIDs: adminGroupObjectIds
  tenantID: subscription().tenantId
}

resource trainingIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: trainingIdentityName
  location: location
  tags: tags
}

resource cluster 'Microsoft.ContainerService/managedClusters@2024-09-01' = {
  name: name
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  sku: { name: 'Base', tier: skuTier }
  //checkov:skip=CKV_AZURE_6: The Function App (Flex Consumption, no VNet integration) calls the API server from changing outbound addresses, so authorized IP ranges cannot be listed; access needs an Entra token and Azure RBAC (local accounts off). VNet integration + NAT gateway + authorized ranges is the follow-up in docs/deployment.md.
  //checkov:skip=CKV_AZURE_8: The Kubernetes dashboard add-on no longer exists on supported AKS versions; there is nothing to disable.
  //checkov:skip=CKV_AZURE_172: The Secrets Store CSI driver is not used: pods get tokens through workload identity and hold no secrets.
  properties: {
    kubernetesVersion: empty(kubernetesVersion) ? null : kubernetesVersion
    dnsPrefix: name
    nodeResourceGroup: 'MC_${resourceGroup().name}_${name}'
    enableRBAC: true
    disableLocalAccounts: entraAuth
    aadProfile: entraAuth ? aadProfile : null
    oidcIssuerProfile: { enabled: true }
    securityProfile: {
      workloadIdentity: { enabled: true }
      imageCleaner: { enabled: true, intervalHours: 48 }
    }
    autoUpgradeProfile: {
      upgradeChannel: 'patch'
      nodeOSUpgradeChannel: 'NodeImage'
    }
    networkProfile: {
      networkPlugin: 'azure'
      networkPluginMode: 'overlay'
      networkDataplane: 'cilium'
      networkPolicy: 'cilium'
      loadBalancerSku: 'standard'
      outboundType: 'loadBalancer'
    }
    autoScalerProfile: {
      // Nodes of a finished morning run go away quickly; new ones are not thrashed during the run.
      'scale-down-unneeded-time': '5m'
      'scale-down-delay-after-add': '5m'
      'skip-nodes-with-local-storage': 'false'
      expander: 'least-waste'
    }
    addonProfiles: {
      omsagent: {
        enabled: true
        config: {
          logAnalyticsWorkspaceResourceID: logAnalyticsWorkspaceId
          useAADAuth: 'true'
        }
      }
      azurepolicy: { enabled: true }
    }
    agentPoolProfiles: [
      {
        name: 'system'
        mode: 'System'
        type: 'VirtualMachineScaleSets'
        osType: 'Linux'
        osSKU: 'AzureLinux'
        vmSize: systemVmSize
        osDiskType: 'Ephemeral'
        osDiskSizeGB: 64
        enableEncryptionAtHost: encryptionAtHost
        count: systemNodeCount
        enableAutoScaling: true
        minCount: systemNodeCount
        maxCount: max(systemNodeCount, systemMaxNodes)
        maxPods: 50
        // Only cluster add-ons here; application pods go to user pools.
        nodeTaints: ['CriticalAddonsOnly=true:NoSchedule']
        upgradeSettings: { maxSurge: '33%' }
      }
      {
        name: trainingPoolName
        mode: 'User'
        type: 'VirtualMachineScaleSets'
        osType: 'Linux'
        osSKU: 'AzureLinux'
        vmSize: trainingVmSize
        osDiskType: 'Ephemeral'
        osDiskSizeGB: 128
        enableEncryptionAtHost: encryptionAtHost
        count: trainingMinNodes
        enableAutoScaling: true
        minCount: trainingMinNodes
        maxCount: trainingMaxNodes
        scaleDownMode: 'Delete'
        maxPods: 50
        // k8s-training/job.yaml tolerates this taint and selects agentpool=<pool>: only training Jobs land here.
        nodeTaints: ['foreact/training=true:NoSchedule']
        nodeLabels: { 'foreact/pool': 'training' }
        upgradeSettings: { maxSurge: '33%' }
      }
    ]
  }
}

// Training pods authenticate as the training identity through a token for the service account.
resource federation 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = {
  parent: trainingIdentity
  name: 'aks-${trainingNamespace}-${trainingServiceAccount}'
  properties: {
    issuer: cluster.properties.oidcIssuerProfile.issuerURL
    subject: 'system:serviceaccount:${trainingNamespace}:${trainingServiceAccount}'
    audiences: ['api://AzureADTokenExchange']
  }
}

// Container Insights with managed-identity auth (addon `omsagent`, useAADAuth) sends nothing until a data
// collection rule is associated with the cluster. Collected: the training namespace only (the system
// pool's add-ons are not Foreact's to debug and would dominate the cost), as ContainerLogV2 (pod stdout/
// stderr: the trainer's JSON lines), KubePodInventory (pod labels such as foreact/run, phase, exit
// reasons: the join from a run id to its pods) and KubeEvents (BackoffLimitExceeded, OOMKilled,
// FailedScheduling; the API server keeps events for an hour only). Pod logs outlive the Job and its
// node here, for the workspace's retention (docs/operations.md).
var containerInsightsStreams = ['Microsoft-ContainerLogV2', 'Microsoft-KubePodInventory', 'Microsoft-KubeEvents']

resource containerInsightsRule 'Microsoft.Insights/dataCollectionRules@2022-06-01' = {
  name: take('MSCI-${location}-${name}', 64)
  location: location
  tags: tags
  kind: 'Linux'
  properties: {
    description: 'Container Insights for ${name}: ContainerLogV2, pod inventory and events of namespace ${trainingNamespace}.'
    dataSources: {
      extensions: [
        {
          name: 'ContainerInsightsExtension'
          extensionName: 'ContainerInsights'
          streams: containerInsightsStreams
          extensionSettings: {
            dataCollectionSettings: {
              interval: '1m'
              namespaceFilteringMode: 'Include'
              namespaces: [trainingNamespace]
              enableContainerLogV2: true
            }
          }
        }
      ]
    }
    destinations: {
      logAnalytics: [
        { name: 'ciworkspace', workspaceResourceId: logAnalyticsWorkspaceId }
      ]
    }
    dataFlows: [
      { streams: containerInsightsStreams, destinations: ['ciworkspace'] }
    ]
  }
}

// The addon finds its rule through this association (the name is the one the addon expects).
resource containerInsightsAssociation 'Microsoft.Insights/dataCollectionRuleAssociations@2022-06-01' = {
  name: 'ContainerInsightsExtension'
  scope: cluster
  properties: {
    description: 'Container Insights data collection for the training namespace. Deleting it stops pod logs reaching Log Analytics.'
    dataCollectionRuleId: containerInsightsRule.id
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: cluster
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      { category: 'kube-audit-admin', enabled: true }
      { category: 'cluster-autoscaler', enabled: true }
      { category: 'guard', enabled: true }
    ]
  }
}

output id string = cluster.id
output containerInsightsRuleId string = containerInsightsRule.id
output name string = cluster.name
output oidcIssuerUrl string = cluster.properties.oidcIssuerProfile.issuerURL
output kubeletObjectId string = cluster.properties.identityProfile.kubeletidentity.objectId
output trainingPoolName string = trainingPoolName
output trainingNamespace string = trainingNamespace
output trainingServiceAccount string = trainingServiceAccount
output trainingIdentityId string = trainingIdentity.id
output trainingIdentityClientId string = trainingIdentity.properties.clientId
output trainingIdentityPrincipalId string = trainingIdentity.properties.principalId
