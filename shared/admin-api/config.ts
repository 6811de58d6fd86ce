import { AdminApiConfigError } from './errors';

/** The environment variables of the Admin API client. */
export const ADMIN_API_ENV = {
  endpoint: 'AUTHGEAR_ENDPOINT',
  keyId: 'AUTHGEAR_ADMIN_API_KEY_ID',
  privateKey: 'AUTHGEAR_ADMIN_API_PRIVATE_KEY',
  privateKeySecretId: 'AUTHGEAR_ADMIN_API_PRIVATE_KEY_SECRET_ID',
  projectId: 'AUTHGEAR_PROJECT_ID',
} as const;

/** Where the Admin API is and how the client signs for it. */
export interface AdminApiSettings {
  /** The project endpoint, e.g. `https://myapp.authgear.cloud` (no trailing slash). */
  readonly endpoint: string;
  /** `<endpoint>/_api/admin/graphql`. */
  readonly graphqlUrl: string;
  /** The token audience: the project id, by default the first label of the endpoint's host. */
  readonly projectId: string;
  /** `undefined` when the stored key is JSON that carries its own key id. */
  readonly keyId: string | undefined;
  /** The PEM itself (locally), or the Secrets Manager secret that holds it (deployed). */
  readonly key: { readonly pem: string } | { readonly secretId: string };
}

/** The configuration as read: usable, absent, or wrong (with what to fix). */
export type AdminApiConfig =
  | { readonly status: 'configured'; readonly settings: AdminApiSettings }
  | { readonly status: 'not_configured'; readonly problem: string }
  | { readonly status: 'invalid'; readonly problem: string };

type Env = Readonly<Record<string, string | undefined>>;

const HOW_TO =
  `set ${ADMIN_API_ENV.endpoint} (e.g. https://myapp.authgear.cloud), ${ADMIN_API_ENV.keyId} and ${ADMIN_API_ENV.privateKey} (the PEM from the portal, Advanced → Admin API) in .env; ` +
  'when deployed, cdk deploy -c authgearEndpoint=… -c adminApiKeyId=… and store the PEM with the AdminApiPutKeyCommand output';

/**
 * Reads the Admin API settings. Never throws: an absent or wrong configuration is reported, so
 * that only handlers that use `context.adminApi` fail, with the reason, and the webhooks still run.
 *
 * @example
 * ```ts
 * const config = readAdminApiConfig({ AUTHGEAR_ENDPOINT: 'https://myapp.authgear.cloud', AUTHGEAR_ADMIN_API_KEY_ID: 'k1', AUTHGEAR_ADMIN_API_PRIVATE_KEY: pem });
 * config.status === 'configured' && config.settings.projectId; // 'myapp'
 * ```
 */
export function readAdminApiConfig(env: Env): AdminApiConfig {
  const value = (name: string): string | undefined => env[name]?.trim() || undefined;
  const endpointRaw = value(ADMIN_API_ENV.endpoint);
  const keyId = value(ADMIN_API_ENV.keyId);
  const pem = value(ADMIN_API_ENV.privateKey);
  const secretId = value(ADMIN_API_ENV.privateKeySecretId);
  if (!endpointRaw && !keyId && !pem && !secretId) {
    return { status: 'not_configured', problem: `the Authgear Admin API is not configured: ${HOW_TO}` };
  }
  const missing: string[] = [
    endpointRaw ? undefined : ADMIN_API_ENV.endpoint,
    pem || secretId ? undefined : ADMIN_API_ENV.privateKey,
    // A key stored in Secrets Manager may be JSON that names its key id.
    keyId || secretId ? undefined : ADMIN_API_ENV.keyId,
  ].filter((name) => name !== undefined);
  if (missing.length > 0) {
    return { status: 'invalid', problem: `the Authgear Admin API is configured only in part: set ${missing.join(' and ')} (${HOW_TO})` };
  }
  let url: URL;
  try {
    url = new URL(endpointRaw as string);
  } catch {
    return {
      status: 'invalid',
      problem: `${ADMIN_API_ENV.endpoint} must be a URL such as https://myapp.authgear.cloud (got "${endpointRaw}")`,
    };
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash || url.username || url.password) {
    return {
      status: 'invalid',
      problem: `${ADMIN_API_ENV.endpoint} must be an http(s) URL without query, fragment or credentials, such as https://myapp.authgear.cloud (got "${endpointRaw}")`,
    };
  }
  const endpoint = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  const projectId = value(ADMIN_API_ENV.projectId) ?? projectIdFromHost(url.hostname);
  if (!projectId) {
    return {
      status: 'invalid',
      problem: `${ADMIN_API_ENV.projectId} is needed: the project id cannot be read from the host "${url.hostname}" (it is the first label of <project>.authgear.cloud)`,
    };
  }
  return {
    status: 'configured',
    settings: {
      endpoint,
      graphqlUrl: `${endpoint}/_api/admin/graphql`,
      projectId,
      keyId,
      key: pem ? { pem } : { secretId: secretId as string },
    },
  };
}

/** The first label of a host name; none for an IP address or a single-label host like `localhost`. */
function projectIdFromHost(hostname: string): string | undefined {
  if (/^[\d.]+$/.test(hostname) || hostname.startsWith('[')) return undefined;
  const [first, ...rest] = hostname.split('.');
  return rest.length > 0 && first ? first : undefined;
}

/** The error `context.adminApi` throws when the configuration is not usable. */
export const configError = (config: Exclude<AdminApiConfig, { status: 'configured' }>): AdminApiConfigError =>
  new AdminApiConfigError(config.problem);
