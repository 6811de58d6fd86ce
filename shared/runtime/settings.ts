import { readConfig, type RuntimeConfig } from '../core/config';
import { createJsonLogger, type Logger } from '../core/logger';

type Env = Readonly<Record<string, string | undefined>>;

/** The configuration and the logger every process starts from. */
export interface RuntimeSettings {
  readonly config: RuntimeConfig;
  readonly logger: Logger;
}

/**
 * Reads the configuration (or takes one already read) and makes the logger: the caller's, or
 * JSON lines at `LOG_LEVEL`.
 *
 * @throws ConfigError for a bad setting.
 * @example
 * ```ts
 * const { config, logger } = runtimeSettings(process.env);
 * ```
 */
export function runtimeSettings(env: Env, options: { readonly config?: RuntimeConfig; readonly logger?: Logger } = {}): RuntimeSettings {
  const config = options.config ?? readConfig(env);
  return { config, logger: options.logger ?? createJsonLogger({ level: config.logLevel }) };
}
