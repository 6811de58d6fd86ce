import type { AdminApiConfig } from './config';

/**
 * One line for a start-up banner: where `context.adminApi` goes, or why it cannot be used.
 *
 * @example
 * ```ts
 * describeAdminApi(readAdminApiConfig(process.env)); // 'Admin API (context.adminApi): https://myapp.authgear.cloud/_api/admin/graphql, project myapp'
 * ```
 */
export function describeAdminApi(config: AdminApiConfig): string {
  if (config.status === 'configured') {
    const { graphqlUrl, projectId, key } = config.settings;
    const where = 'pem' in key ? 'key from AUTHGEAR_ADMIN_API_PRIVATE_KEY' : `key from the secret ${key.secretId}`;
    return `Admin API (context.adminApi): ${graphqlUrl}, project ${projectId}, ${where} (loaded at the first call).`;
  }
  if (config.status === 'not_configured') {
    return 'Admin API (context.adminApi): not configured; see docs/admin-api.md to let handlers write back to Authgear.';
  }
  return `Admin API (context.adminApi): NOT USABLE: ${config.problem}`;
}
