/**
 * Secrets a handler declares (`{ secrets: ['crm/api-key'] }`) and reads from its context
 * (`await context.secrets.get('crm/api-key')`).
 *
 * The values live in AWS Secrets Manager when deployed, and in the environment or `.env` locally
 * (see {@link localSecretVariable}). Each value is fetched on first use and cached per process by
 * a {@link SecretStore}, with the webhook secret's rules: refetched after `SECRET_CACHE_TTL_SECONDS`
 * in the background, the last good value kept when a refresh fails. Values are never logged.
 */
import type { BlockingHandler, HandlerSet, NonBlockingHandler } from './handler';
import type { Logger } from './logger';
import { type ParsedSecret, SecretStore, type SecretSource } from './secret';

/** The secrets a handler reads: only the names it declared. */
export interface HandlerSecrets<Name extends string = string> {
  /**
   * The current value of a declared secret, as stored (a string; parse JSON yourself).
   *
   * @throws Error when the name was not declared, or when no value could be loaded (the reason is
   * logged, without the value). Thrown inside a handler, it counts as the handler failing.
   */
  get(name: Name): Promise<string>;
}

/** A secret name of Secrets Manager: 1–512 of letters, digits and `/_+=.@-`. */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
/** A complete secret ARN, with the `-` and 6 characters Secrets Manager appends to the name. */
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:([A-Za-z0-9/_+=.@-]+)-[A-Za-z0-9]{6}$/;

/**
 * Checks the `secrets` option of a handler: a list of secret names or complete ARNs.
 *
 * @throws TypeError saying what is wrong with which entry.
 * @example
 * ```ts
 * checkSecretNames(['crm/api-key']); // ['crm/api-key']
 * checkSecretNames(['arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm/api-key-AbC123']);
 * ```
 */
export function checkSecretNames(value: unknown): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TypeError(`secrets must be a list of secret names or ARNs (got ${JSON.stringify(value)})`);
  for (const item of value) {
    if (typeof item !== 'string') throw new TypeError(`secrets must list strings (got ${JSON.stringify(item)})`);
    if (item.startsWith('arn:')) {
      if (!SECRET_ARN.test(item)) {
        throw new TypeError(
          `"${item}" is not a complete Secrets Manager secret ARN (it must end in "-" and the 6 characters Secrets Manager adds); or give the secret's name`,
        );
      }
    } else if (!SECRET_NAME.test(item)) {
      throw new TypeError(`"${item}" is not a Secrets Manager secret name (1–512 letters, digits and /_+=.@-)`);
    }
  }
  return Object.freeze([...new Set(value as string[])]);
}

/**
 * The secret's name: the name itself, or the name inside a complete ARN.
 *
 * @example
 * ```ts
 * secretNameOf('arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm/api-key-AbC123'); // 'crm/api-key'
 * ```
 */
export function secretNameOf(nameOrArn: string): string {
  return SECRET_ARN.exec(nameOrArn)?.[1] ?? nameOrArn;
}

/**
 * The environment variable that holds a secret's value on a developer's machine (`npm start`, the
 * test kit): `SECRET_` and the secret's name in capitals, every other character an underscore.
 *
 * @example
 * ```ts
 * localSecretVariable('crm/api-key'); // 'SECRET_CRM_API_KEY'
 * localSecretVariable('arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/stripe.key-AbC123'); // 'SECRET_PROD_STRIPE_KEY'
 * ```
 */
export function localSecretVariable(nameOrArn: string): string {
  return `SECRET_${secretNameOf(nameOrArn)
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * Where each secret's value comes from. It may throw (for example when a value is missing
 * locally): the handler then gets that error from `get`, and the next `get` asks again.
 */
export type HandlerSecretSources = (nameOrArn: string) => SecretSource;

export interface HandlerSecretRegistryOptions {
  readonly sources: HandlerSecretSources;
  readonly logger: Logger;
  /** `SECRET_CACHE_TTL_SECONDS`, as for the webhook secret. */
  readonly ttlMs: number;
  /** After a failed refresh, the last good value is used for this long before the next attempt. */
  readonly refreshIntervalMs: number;
  readonly now?: () => number;
}

/** The cache of every handler secret of one process, shared by the handlers that declare the same secret. */
export interface HandlerSecretRegistry {
  /** The accessor for a handler that declared `declared`; any other name is refused. */
  secretsFor(declared: readonly string[], owner: string): HandlerSecrets;
}

/**
 * Creates the per-process cache of handler secrets. Nothing is fetched until a handler asks.
 *
 * @example
 * ```ts
 * const registry = createHandlerSecretRegistry({ sources: (id) => secretsManagerSource(id), logger, ttlMs: 300_000, refreshIntervalMs: 30_000 });
 * const secrets = registry.secretsFor(['crm/api-key'], 'user.created');
 * await secrets.get('crm/api-key');
 * ```
 */
export function createHandlerSecretRegistry(options: HandlerSecretRegistryOptions): HandlerSecretRegistry {
  const stores = new Map<string, SecretStore>();
  const storeOf = (name: string): SecretStore => {
    let store = stores.get(name);
    if (!store) {
      store = new SecretStore({
        source: options.sources(name),
        logger: options.logger,
        ttlMs: options.ttlMs,
        refreshIntervalMs: options.refreshIntervalMs,
        label: `handler secret "${name}"`,
        parse: rawSecretValue,
        ...(options.now ? { now: options.now } : {}),
      });
      stores.set(name, store);
    }
    return store;
  };
  return {
    secretsFor(declared, owner) {
      const allowed = new Set(declared);
      return Object.freeze({
        async get(name: string): Promise<string> {
          if (!allowed.has(name)) throw new Error(undeclaredMessage(name, owner, declared));
          const [value] = await storeOf(name).get();
          return value as string;
        },
      });
    },
  };
}

/** Handler secrets are used as stored, whatever their form (a key, JSON, …); only an empty value is refused. */
function rawSecretValue(raw: string): ParsedSecret {
  if (raw === '') throw new Error('the stored value is empty');
  return { secrets: [raw], warnings: [] };
}

function undeclaredMessage(name: string, owner: string, declared: readonly string[]): string {
  const list = declared.length > 0 ? `it declares ${declared.map((d) => `"${d}"`).join(', ')}` : 'it declares none';
  return `the ${owner} handler reads the secret "${name}" without declaring it (${list}); add it to the handler's options: { secrets: [${JSON.stringify(name)}] }`;
}

/** What `context.secrets` is for a handler that declared no secret (or runs without a registry). */
export function undeclaredSecrets(owner: string): HandlerSecrets {
  return Object.freeze({
    get: async (name: string): Promise<string> => {
      throw new Error(undeclaredMessage(name, owner, []));
    },
  });
}

/**
 * Gives every handler of `handlers` that declares secrets a `context.secrets` backed by `registry`.
 * Handlers without secrets are returned as they are (their `context.secrets` refuses every name).
 *
 * @example
 * ```ts
 * const served = bindHandlerSecrets(assembleHandlers(modules, serve), registry);
 * ```
 */
export function bindHandlerSecrets(handlers: HandlerSet, registry: HandlerSecretRegistry): HandlerSet {
  const bind = <H extends BlockingHandler | NonBlockingHandler>(handler: H): H => {
    const declared = handler.secrets ?? [];
    if (declared.length === 0) return handler;
    const secrets = registry.secretsFor(declared, handler.event);
    const handle = handler.handle as (event: unknown, context: object) => unknown;
    return Object.freeze({
      ...handler,
      handle(event: unknown, context: object) {
        // The context is made for this one call, so it may carry this handler's accessor.
        Object.defineProperty(context, 'secrets', { value: secrets, enumerable: true, configurable: true });
        return handle.call(handler, event, context);
      },
    }) as unknown as H;
  };
  const mapOf = <K, H extends BlockingHandler | NonBlockingHandler>(map: ReadonlyMap<K, H>): ReadonlyMap<K, H> =>
    new Map([...map].map(([key, handler]) => [key, bind(handler)] as const));
  return {
    ...(handlers.blocking ? { blocking: mapOf(handlers.blocking) } : {}),
    ...(handlers.nonBlocking ? { nonBlocking: mapOf(handlers.nonBlocking) } : {}),
  };
}

/**
 * Sources for a developer's machine: each value from the variable {@link localSecretVariable}
 * names, in `env` (the environment merged with `.env`). A missing variable is an error that says
 * which variable to set.
 *
 * @example
 * ```ts
 * const sources = environmentSecretSources({ SECRET_CRM_API_KEY: 'test-key' });
 * await sources('crm/api-key').fetch(); // 'test-key'
 * ```
 */
export function environmentSecretSources(
  env: Readonly<Record<string, string | undefined>>,
  where = '.env or the environment',
): HandlerSecretSources {
  return (nameOrArn) => {
    const variable = localSecretVariable(nameOrArn);
    const value = env[variable];
    if (value === undefined || value === '') {
      throw new Error(`the handler secret "${nameOrArn}" has no local value: set ${variable} in ${where}`);
    }
    return { kind: `environment (${variable})`, fetch: async () => value };
  };
}

/**
 * Sources for a process that was given none: every secret is refused with `why`. The Lambda
 * entry of a function whose handlers declare no secret leaves the Secrets Manager client out of
 * its bundle this way.
 */
export const noSecretSources =
  (why: string): HandlerSecretSources =>
  (nameOrArn) => {
    throw new Error(`the handler secret "${nameOrArn}" cannot be read here: ${why}`);
  };

/** The settings {@link bindHandlerSecretsFrom} needs from the runtime configuration. */
export interface SecretCacheConfig {
  readonly secretCacheTtlMs: number;
  readonly secretRefreshIntervalMs: number;
}

/**
 * {@link bindHandlerSecrets} with a new per-process registry over `sources`: the one line each
 * adapter runs at start-up.
 *
 * @example
 * ```ts
 * const handlers = bindHandlerSecretsFrom(assembleHandlers(modules, serve), secretsManagerSources(), { logger, config });
 * ```
 */
export function bindHandlerSecretsFrom(
  handlers: HandlerSet,
  sources: HandlerSecretSources,
  options: { readonly logger: Logger; readonly config: SecretCacheConfig },
): HandlerSet {
  const { logger, config } = options;
  return bindHandlerSecrets(
    handlers,
    createHandlerSecretRegistry({ sources, logger, ttlMs: config.secretCacheTtlMs, refreshIntervalMs: config.secretRefreshIntervalMs }),
  );
}
