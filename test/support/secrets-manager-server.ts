/**
 * A local stand-in for AWS Secrets Manager that answers `GetSecretValue` over the service's
 * JSON wire protocol (`application/x-amz-json-1.1`, `x-amz-target` header), so tests can run
 * the real AWS SDK v3 client against it without network access or AWS credentials.
 *
 * Only what the webhook secret source uses is implemented. The server insists on a SigV4
 * `authorization` header, which lets a test show that the request really went through the
 * SDK's signing middleware rather than being sent unsigned.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { fakeServiceControls, listenOnLoopback } from './listen';

const REGION = 'us-east-1';
const ACCOUNT_ID = '123456789012';
const AWS_JSON = 'application/x-amz-json-1.1';
const GET_SECRET_VALUE_TARGET = 'secretsmanager.GetSecretValue';

/** Dummy credentials: the SDK needs some to sign with; the server never checks the signature itself. */
const DUMMY_ACCESS_KEY_ID = 'AKIAFAKESMLOCALTEST1';
const DUMMY_SECRET_ACCESS_KEY = 'fake/secret/access/key/for/local/tests/only';

/** `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random characters>` */
const ARN_PATTERN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:(.+)$/;
const ARN_SUFFIX = /-[A-Za-z0-9]{6}$/;

/** One `GetSecretValue` request as the server saw it. */
export interface FakeSecretsManagerCall {
  /** The `SecretId` of the request body (empty if the body had none). */
  readonly secretId: string;
  /** `Date.now()` when the request arrived (before any {@link FakeSecretsManager.setDelay} delay). */
  readonly at: number;
  /** The request headers, e.g. `authorization` or `amz-sdk-request` (`attempt=1; max=2`). */
  readonly headers: Readonly<IncomingHttpHeaders>;
}

/**
 * Handle on a running fake Secrets Manager. Each instance has its own secrets, call log and
 * failure settings; nothing is shared between instances.
 */
export interface FakeSecretsManager {
  /** Base URL of the server, e.g. `http://127.0.0.1:43121`. */
  readonly endpoint: string;
  /**
   * Sets or replaces a secret's string value. `idOrArn` is a name (`authgear-webhook`) or a full
   * ARN (`arn:aws:secretsmanager:us-east-1:123456789012:secret:authgear-webhook-AbCdEf`); either
   * way the secret is then found by its ARN and by its name. A secret created by name gets an
   * ARN with a random suffix.
   *
   * `undefined` means the secret exists but has no value yet (created without `--secret-string`):
   * reading it fails the way Secrets Manager does, with `ResourceNotFoundException`
   * "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT".
   */
  setSecret(idOrArn: string, value: string | undefined): void;
  /** Sets or replaces a secret's value with binary bytes (`--secret-binary`), sent as base64 `SecretBinary`. */
  setSecretBinary(idOrArn: string, bytes: Uint8Array): void;
  /**
   * Calls of `GetSecretValue` received, oldest first, with the `SecretId` of each. This includes
   * calls that were answered with an error (injected, unsigned, unknown secret). A snapshot:
   * read the property again to see later calls.
   */
  readonly calls: readonly FakeSecretsManagerCall[];
  /** Makes the next `n` calls fail with HTTP 500 `InternalServiceError` (replaces any earlier count; 0 clears it). */
  failNext(n: number): void;
  /** While `on` is true, every call fails with HTTP 500 `InternalServiceError`. */
  failAll(on: boolean): void;
  /** Delays every answer by `ms` milliseconds (to test timeouts and single-flight fetching); 0 turns it off. */
  setDelay(ms: number): void;
  /**
   * Environment variables that point a real SDK client (or a child process) at this server:
   * `AWS_ENDPOINT_URL_SECRETS_MANAGER`, `AWS_REGION=us-east-1`, dummy `AWS_ACCESS_KEY_ID` and
   * `AWS_SECRET_ACCESS_KEY`, and `AWS_EC2_METADATA_DISABLED=true`.
   *
   * The SDK skips environment credentials when `AWS_PROFILE` is set, so remove that variable
   * from the environment these values are applied to.
   */
  env(): Record<string, string>;
  /** Stops the server and drops open (keep-alive) connections. */
  close(): Promise<void>;
}

interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  value: string | undefined;
  /** Set instead of `value` for a binary secret. */
  binary?: Uint8Array | undefined;
  versionId: string | undefined;
  /** Epoch seconds, as the wire protocol sends `CreatedDate`. */
  createdDate: number;
}

interface AwsErrorAnswer {
  readonly status: number;
  readonly type: string;
  readonly message: string;
}

const randomSuffix = (): string => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length: 6 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
};

const arnPrefix = `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:`;

/**
 * Starts a fake Secrets Manager on `127.0.0.1` with a free port.
 *
 * @example
 * ```ts
 * const fake = await startFakeSecretsManager();
 * fake.setSecret('arn:aws:secretsmanager:us-east-1:123456789012:secret:authgear-webhook-AbCdEf', 'k3Y9…');
 * Object.assign(process.env, fake.env());          // before the SDK client is created
 * await secretsManagerSource('authgear-webhook').fetch(); // 'k3Y9…'
 * await fake.close();
 * ```
 */
export async function startFakeSecretsManager(): Promise<FakeSecretsManager> {
  const secrets: StoredSecret[] = [];
  const calls: FakeSecretsManagerCall[] = [];
  let failuresLeft = 0;
  let failEverything = false;
  let delayMs = 0;

  const findSecret = (secretId: string): StoredSecret | undefined => {
    if (ARN_PATTERN.test(secretId)) {
      // A full ARN, or a partial one without the random suffix (Secrets Manager accepts both).
      return secrets.find((s) => s.arn === secretId || s.arn.replace(ARN_SUFFIX, '') === secretId);
    }
    return secrets.find((s) => s.name === secretId);
  };

  const setSecret = (idOrArn: string, value: string | undefined): void => {
    const now = Date.now() / 1000;
    const existing = findSecret(idOrArn);
    if (existing) {
      existing.value = value;
      existing.binary = undefined;
      existing.versionId = value === undefined ? undefined : randomUUID();
      existing.createdDate = now;
      return;
    }
    const arnMatch = ARN_PATTERN.exec(idOrArn);
    const name = arnMatch ? arnMatch[1]!.replace(ARN_SUFFIX, '') : idOrArn;
    const arn = arnMatch ? idOrArn : `${arnPrefix}${name}-${randomSuffix()}`;
    secrets.push({ arn, name, value, versionId: value === undefined ? undefined : randomUUID(), createdDate: now });
  };

  /** The `SecretId` of a request body, `''` if it has none, `undefined` if the body is not JSON. */
  const readSecretId = (rawBody: string): string | undefined => {
    let parsed: unknown;
    try {
      parsed = rawBody === '' ? {} : JSON.parse(rawBody);
    } catch {
      return undefined;
    }
    const secretId = parsed !== null && typeof parsed === 'object' ? (parsed as { SecretId?: unknown }).SecretId : undefined;
    return typeof secretId === 'string' ? secretId : '';
  };

  /** Works out the answer to one `GetSecretValue` request: a JSON body for 200, or an AWS error. */
  const answer = (headers: IncomingHttpHeaders, secretId: string | undefined): { body: unknown } | AwsErrorAnswer => {
    const authorization = headers.authorization;
    if (typeof authorization !== 'string' || !authorization.startsWith('AWS4-HMAC-SHA256')) {
      return { status: 400, type: 'MissingAuthenticationTokenException', message: 'Request is missing Authentication Token' };
    }
    if (secretId === undefined) return { status: 400, type: 'SerializationException', message: 'the request body is not valid JSON' };
    if (secretId === '') {
      return {
        status: 400,
        type: 'ValidationException',
        message: "1 validation error detected: Value at 'secretId' failed to satisfy constraint: Member must not be null",
      };
    }

    if (failEverything || failuresLeft > 0) {
      if (!failEverything) failuresLeft -= 1;
      return { status: 500, type: 'InternalServiceError', message: 'An error occurred on the server side.' };
    }

    const secret = findSecret(secretId);
    if (!secret) return { status: 400, type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." };
    if (secret.binary !== undefined) {
      return {
        body: {
          ARN: secret.arn,
          Name: secret.name,
          SecretBinary: Buffer.from(secret.binary).toString('base64'),
          VersionId: secret.versionId,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: secret.createdDate,
        },
      };
    }
    if (secret.value === undefined) {
      return {
        status: 400,
        type: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
      };
    }
    return {
      body: {
        ARN: secret.arn,
        Name: secret.name,
        SecretString: secret.value,
        VersionId: secret.versionId,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: secret.createdDate,
      },
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');

    const target = req.headers['x-amz-target'];
    const isPostToRoot = req.method === 'POST' && req.url === '/';
    const isGetSecretValue = isPostToRoot && target === GET_SECRET_VALUE_TARGET;
    const secretId = isGetSecretValue ? readSecretId(rawBody) : undefined;
    // Recorded on arrival (before any delay), whatever the answer will be.
    if (isGetSecretValue) calls.push({ secretId: secretId ?? '', at: Date.now(), headers: { ...req.headers } });

    if (delayMs > 0) await sleep(delayMs);

    const result: { body: unknown } | AwsErrorAnswer = !isPostToRoot
      ? { status: 404, type: 'UnknownOperationException', message: `no operation at ${String(req.method)} ${String(req.url)}` }
      : isGetSecretValue
        ? answer(req.headers, secretId)
        : { status: 400, type: 'UnknownOperationException', message: `unknown operation ${String(target)}` };

    if (res.destroyed) return; // the client gave up (timeout) while we were waiting
    const requestId = randomUUID();
    if ('body' in result) {
      res.writeHead(200, { 'content-type': AWS_JSON, 'x-amzn-requestid': requestId });
      res.end(JSON.stringify(result.body));
      return;
    }
    res.writeHead(result.status, { 'content-type': AWS_JSON, 'x-amzn-requestid': requestId, 'x-amzn-errortype': result.type });
    res.end(JSON.stringify({ __type: result.type, message: result.message }));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': AWS_JSON, 'x-amzn-errortype': 'InternalServiceError' });
      res.end(JSON.stringify({ __type: 'InternalServiceError', message: `fake server error: ${String(error)}` }));
    });
  });

  const endpoint = await listenOnLoopback(server);

  const setSecretBinary = (idOrArn: string, bytes: Uint8Array): void => {
    setSecret(idOrArn, '');
    const stored = findSecret(idOrArn) as StoredSecret;
    stored.value = undefined;
    stored.binary = Uint8Array.from(bytes);
  };

  return {
    endpoint,
    setSecret,
    setSecretBinary,
    get calls() {
      return calls.slice();
    },
    failNext(n) {
      failuresLeft = Math.max(0, Math.floor(n));
    },
    failAll(on) {
      failEverything = on;
    },
    setDelay(ms) {
      delayMs = Math.max(0, ms);
    },
    ...fakeServiceControls(server, {
      endpoint,
      endpointVariable: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
      region: REGION,
      accessKeyId: DUMMY_ACCESS_KEY_ID,
      secretAccessKey: DUMMY_SECRET_ACCESS_KEY,
    }),
  };
}
