// TenantAtlas on Azure: a Flex Consumption Function App with a user-assigned identity,
// keyless access to Storage (Tables, Blobs, Queues), Key Vault for per-tenant Graph credentials,
// and Application Insights. Composed from small modules, named from an abbreviation prefix.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; part of every resource name.')
param environmentName string

@minLength(1)
@description('Primary location for all resources.')
param location string

@description('Object ID of the deploying user or pipeline, granted data access for local debugging. Optional.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
@description('What principalId is: User from a workstation, ServicePrincipal from a pipeline.')
param principalType string = 'User'

// shared/config/settings.py requires these outside local mode. An unset azd variable arrives as '', so
// @minLength(1) fails the deployment instead of deploying an app that answers every route with 503.
@minLength(1)
@description('Entra tenant ID(s), comma-separated, whose users and apps may call the API.')
param authTenantIds string

@minLength(1)
@description('Client ID (application ID) of the API app registration: the audience of v2 access tokens.')
param apiClientId string

@minLength(1)
@description('Application ID URI of the API app registration, e.g. api://tenantatlas: the audience of v1 tokens.')
param apiAppIdUri string

@minLength(1)
@description('Client ID of the MSP\'s multi-tenant app registration that acts in customer tenants. Its federated credential trusts the identity this deployment creates (docs/deploy.md).')
param graphAppClientId string
@description('Client ID of the console\'s single-page-application registration; empty leaves console sign-in off (docs/console.md).')
param consoleClientId string = ''

@allowed(['default', 'recover'])
@description('recover: bring back this environment\'s soft-deleted Key Vault, secrets and all (docs/deploy.md).')
param keyVaultCreateMode string = 'default'

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}api-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity './core/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring './core/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module storage './core/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    containers: [deploymentContainerName, 'snapshots', 'manifests']
  }
}

module keyVault './core/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    createMode: keyVaultCreateMode
  }
}

module api './app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultUri: keyVault.outputs.uri
    authTenantIds: authTenantIds
    apiClientId: apiClientId
    apiAppIdUri: apiAppIdUri
    graphAppClientId: graphAppClientId
    consoleClientId: consoleClientId
  }
}

module rbac './app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    appPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output AZURE_FUNCTION_URI string = api.outputs.uri
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
// The subject of the app registration's federated credential, and the identity's client ID.
output AZURE_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output AZURE_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
