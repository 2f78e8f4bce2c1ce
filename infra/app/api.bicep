// The Function App on the Flex Consumption plan, Python 3.13, identity-based connections only.
// Its app settings are everything shared/config/settings.py needs outside local mode; tests/deploy checks that.
param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerName string
param applicationInsightsName string
param keyVaultUri string
@description('Entra tenant ID(s), comma-separated, whose users and apps may call the API.')
param authTenantIds string
@description('Client ID of the API app registration: the audience of v2 access tokens.')
param apiClientId string
@description('Application ID URI of the API app registration: the audience of v1 access tokens.')
param apiAppIdUri string
@description('Client ID of the multi-tenant app registration that acts in customer tenants (Graph).')
param graphAppClientId string
@description('Client ID of the console\'s app registration (MSAL.js sign-in); empty: console sign-in off.')
param consoleClientId string = ''
param maximumInstanceCount int = 100
param instanceMemoryMB int = 2048

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // @Microsoft.KeyVault(...) app settings resolve with the user-assigned identity (the default
    // would be a system-assigned one, which this app does not have).
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: { name: 'python', version: '3.13' }
    }
  }

  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
      AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
      AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      AZURE_CLIENT_ID: identityClientId
      // Never 'local': outside local mode the app does not read local.settings.json at all.
      TENANTATLAS_ENVIRONMENT: 'azure'
      TENANTATLAS_KEY_VAULT_URI: keyVaultUri
      TENANTATLAS_AUTH_TENANT_IDS: authTenantIds
      // Both audiences: v1 tokens carry the App ID URI, v2 tokens the client ID.
      TENANTATLAS_AUTH_AUDIENCE: '${apiAppIdUri},${apiClientId}'
      // The identity that reads Key Vault credentials.
      TENANTATLAS_MANAGED_IDENTITY_CLIENT_ID: identityClientId
      // Graph credential `msp-app`, what tenants onboarded with credentialRef msp-app use: workload identity
      // federation. The identity's token is the client assertion of the multi-tenant app; no secret exists.
      GRAPH_CREDENTIAL__MSP_APP__CLIENT_ID: graphAppClientId
      GRAPH_CREDENTIAL__MSP_APP__MANAGED_IDENTITY_CLIENT_ID: identityClientId
      // The console signs users in with this SPA registration, asking for access_as_user of the API.
      TENANTATLAS_CONSOLE_CLIENT_ID: consoleClientId
    }
  }
}

output name string = functionApp.name
output uri string = 'https://${functionApp.properties.defaultHostName}'
