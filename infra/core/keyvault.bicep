// Key Vault for each managed tenant's Graph credential. Records store the secret's name, never its value.
param name string
param location string
param tags object
// After `azd down` the vault stays soft-deleted for 30 days under its name, and purge protection
// (wanted: it holds the managed tenants' credentials) means nobody can purge it, `azd down --purge`
// included. The name is fixed per subscription, environment and location, so the next `azd up`
// must recover it, secrets and all: deploy once with 'recover', then back to 'default'.
@allowed(['default', 'recover'])
param createMode string = 'default'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    createMode: createMode
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 30
    enablePurgeProtection: true
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
