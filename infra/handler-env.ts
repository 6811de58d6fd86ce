/**
 * Plain settings for handlers (`handlerEnv` in cdk.json): environment variables of the functions
 * that run handlers (the blocking function and the worker), read with `process.env` as locally
 * from `.env`. Not for secrets: values are plain text in the CloudFormation template.
 */
import { ADMIN_API_ENV } from '../shared/admin-api/config';
import { ENV, QUEUE_ENV } from '../shared/core/config';
import { IDEMPOTENCY_ENV } from '../shared/core/idempotency';
import { StackConfigError } from './options';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Lambda allows 4 KB of variables per function; leave room for the stack's own. */
const MAX_BYTES = 3_072;

/** Variables the template itself sets or reads, which a setting must not replace. */
const TEMPLATE_VARIABLES: ReadonlySet<string> = new Set([
  ...Object.values(ENV),
  ...Object.values(QUEUE_ENV),
  ...Object.values(ADMIN_API_ENV),
  ...Object.values(IDEMPOTENCY_ENV),
  'NODE_OPTIONS',
]);

/**
 * Reads and checks `handlerEnv`: an object of variable names to strings (numbers and booleans
 * become strings). From `-c handlerEnv='{"CRM_URL":"https://crm.example.com"}'` it arrives as
 * JSON text.
 *
 * @throws StackConfigError naming the first bad entry.
 * @example
 * ```ts
 * resolveHandlerEnv({ CRM_URL: 'https://crm.example.com', CRM_TIMEOUT_MS: 2000 });
 * // { CRM_URL: 'https://crm.example.com', CRM_TIMEOUT_MS: '2000' }
 * ```
 */
export function resolveHandlerEnv(value: unknown): Readonly<Record<string, string>> {
  if (value === undefined || value === null || value === '') return {};
  let object = value;
  if (typeof value === 'string') {
    try {
      object = JSON.parse(value);
    } catch {
      throw new StackConfigError(`handlerEnv must be a JSON object of names to values (got ${JSON.stringify(value)})`);
    }
  }
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    throw new StackConfigError(`handlerEnv must be an object of names to values (got ${JSON.stringify(value)})`);
  }
  const env: Record<string, string> = {};
  let bytes = 0;
  for (const [name, raw] of Object.entries(object)) {
    if (!NAME.test(name)) throw new StackConfigError(`handlerEnv: "${name}" is not a valid environment variable name`);
    if (/^(AWS_|LAMBDA_|_)/.test(name)) throw new StackConfigError(`handlerEnv: ${name} is reserved by AWS Lambda; choose another name`);
    if (TEMPLATE_VARIABLES.has(name)) {
      throw new StackConfigError(
        `handlerEnv: ${name} is a variable of the template itself; set it through its own option (see docs/make-it-yours.md)`,
      );
    }
    if (name.startsWith('SECRET_')) {
      throw new StackConfigError(
        `handlerEnv: ${name} looks like a local secret value; deployed, declare the secret in the handler ({ secrets: ['…'] }) and store it in Secrets Manager`,
      );
    }
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      throw new StackConfigError(`handlerEnv: ${name} must be a string, number or boolean (got ${JSON.stringify(raw)})`);
    }
    env[name] = String(raw);
    bytes += Buffer.byteLength(name) + Buffer.byteLength(env[name]);
  }
  if (bytes > MAX_BYTES) {
    throw new StackConfigError(
      `handlerEnv holds ${bytes} bytes; Lambda allows 4 KB of variables per function, so keep settings under ${MAX_BYTES} bytes and put large ones in a file or a secret`,
    );
  }
  return env;
}
