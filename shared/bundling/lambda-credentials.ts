/**
 * The AWS SDK's default credential provider, as the deployed functions need it.
 *
 * Lambda always hands a function its role's credentials in `AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, the first place the SDK's default chain
 * (`@aws-sdk/credential-provider-node`) looks. The rest of that chain (SSO, shared ini files,
 * `credential_process`, web identity, container and instance metadata, with the STS and SSO
 * clients they load) never runs in Lambda but made up 40 % of each bundle and 10–14 ms of every
 * cold start. The stack's bundling aliases `@aws-sdk/credential-provider-node` to this module, so
 * only the bundles change: `npm start` and the tests keep the SDK's full chain.
 *
 * See CHANGELOG.md (bundling round) and docs/performance.md for the measurements.
 */

/** The credentials object the SDK's signer expects (`AwsCredentialIdentity`). */
export interface EnvironmentCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
  readonly credentialScope?: string;
  readonly accountId?: string;
  /** Read by the SDK's user-agent middleware; the same feature flag its own `fromEnv` sets. */
  readonly $source: Readonly<Record<string, string>>;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads credentials from the environment the way the SDK's `fromEnv` does.
 *
 * @throws Error when `AWS_ACCESS_KEY_ID` or `AWS_SECRET_ACCESS_KEY` is missing.
 * @example
 * ```ts
 * credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'AKIA…', AWS_SECRET_ACCESS_KEY: '…' }).accessKeyId; // 'AKIA…'
 * ```
 */
export function credentialsFromEnv(env: Env = process.env): EnvironmentCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error(
      'AWS credentials are not in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); Lambda sets them for the function role',
    );
  }
  const sessionToken = env.AWS_SESSION_TOKEN;
  const expiration = env.AWS_CREDENTIAL_EXPIRATION;
  const credentialScope = env.AWS_CREDENTIAL_SCOPE;
  const accountId = env.AWS_ACCOUNT_ID;
  return {
    accessKeyId,
    secretAccessKey,
    ...(sessionToken ? { sessionToken } : {}),
    ...(expiration ? { expiration: new Date(expiration) } : {}),
    ...(credentialScope ? { credentialScope } : {}),
    ...(accountId ? { accountId } : {}),
    $source: { CREDENTIALS_ENV_VARS: 'g' },
  };
}

/**
 * Stands in for `@aws-sdk/credential-provider-node`'s `defaultProvider` in the bundles: a provider
 * that reads the environment once and then returns the same credentials, as the SDK's memoized
 * chain does for environment credentials.
 */
export const defaultProvider = (): (() => Promise<EnvironmentCredentials>) => {
  let cached: EnvironmentCredentials | undefined;
  return async () => (cached ??= credentialsFromEnv());
};
