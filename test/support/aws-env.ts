import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Variables from a developer's own AWS setup that would change what the SDK does in a test: a
 * profile makes it skip environment credentials, and config files may carry endpoints or retry
 * settings.
 */
const INTERFERING = [
  'AWS_PROFILE',
  'AWS_SESSION_TOKEN',
  'AWS_ENDPOINT_URL',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
  'AWS_MAX_ATTEMPTS',
  'AWS_RETRY_MODE',
];

/**
 * Points the real AWS SDK in this process at a fake service: sets `serviceEnv` (from a fake's
 * `env()`), removes the variables above and hides the AWS config files.
 *
 * @returns a function that puts every variable back as it was.
 * @example
 * ```ts
 * let restore: () => void;
 * beforeAll(() => { restore = useAwsEnv(fake.env()); });
 * afterAll(() => restore());
 * ```
 */
export function useAwsEnv(serviceEnv: Readonly<Record<string, string>>): () => void {
  const saved = new Map<string, string | undefined>();
  const set = (name: string, value: string | undefined): void => {
    if (!saved.has(name)) saved.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  for (const [name, value] of Object.entries(serviceEnv)) set(name, value);
  for (const name of INTERFERING) set(name, undefined);
  set('AWS_CONFIG_FILE', join(tmpdir(), 'authgear-webhooks-no-aws-config'));
  set('AWS_SHARED_CREDENTIALS_FILE', join(tmpdir(), 'authgear-webhooks-no-aws-credentials'));
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
