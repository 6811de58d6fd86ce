/**
 * `npm start`: serves every handler under `functions/` on http://127.0.0.1:<PORT> with the same
 * core as in Lambda. Configuration comes from the environment and `.env` (the environment wins).
 */
import { ConfigError, ENV } from '../core/config';
import { DEFAULTS } from '../core/constants';
import { HandlerFileError } from '../core/errors';
import { readLocalState, removeLocalState, writeLocalState } from '../devtools/local-state';
import { describeAdminApi } from '../admin-api/describe';
import { loadEnvFile } from '../devtools/env-file';
import { functionsDirOf } from '../discovery/functions-dir';
import { reportReload } from './reload-report';
import { PortInUseError, startLocalServer, type LocalServer } from './server';

const ENV_FILE = '.env';

async function main(): Promise<void> {
  const projectRoot = process.cwd();
  const env = loadEnvFile(ENV_FILE, process.env);
  // Handler files read process.env themselves (as they do in Lambda), so they must see .env too.
  for (const [name, value] of Object.entries(env)) if (process.env[name] === undefined && value !== undefined) process.env[name] = value;

  let reported: ReturnType<typeof reportReload> | undefined;
  const server = await startLocalServer({
    projectRoot,
    functionsDir: functionsDirOf(projectRoot, env),
    port: readPort(env.PORT),
    env,
    watch: true,
    onReload: (result, changed) => reported?.(result, changed),
  });
  reported = reportReload(server);
  process.stdout.write(describe(server));
  // Lets `npm run send` find this server (and a generated secret) without asking. A second
  // server in this folder takes over; when it stops, the first one is found again.
  const previous = readLocalState(projectRoot);
  const stateProblem = writeLocalState(projectRoot, {
    url: server.url,
    pid: process.pid,
    ...('value' in server.secret && server.secret.generated ? { secret: server.secret.value } : {}),
  });
  if (stateProblem) process.stderr.write(`note: ${stateProblem}; npm run send then needs --url and --secret\n`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(0);
    stopping = true;
    removeLocalState(projectRoot, process.pid, previous);
    server.close().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function readPort(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULTS.port;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigError(`PORT must be an integer from 0 to 65535 (got "${raw}")`);
  return port;
}

function describe(server: LocalServer): string {
  const lines = [`Authgear webhooks: local server listening on ${server.url}`, '', 'Routes:'];
  const width = Math.max(...server.routes.map((r) => r.url.length));
  for (const route of server.routes) {
    const events = route.events.length > 0 ? route.events.join(', ') : '(no handlers: every event is acknowledged)';
    lines.push(`  ${route.method} ${route.url.padEnd(width)}  ${events}`);
  }
  lines.push('');
  const { secret } = server;
  if ('source' in secret) {
    lines.push(`Webhook secret: read from AWS Secrets Manager (${ENV.secretId}).`);
  } else if (secret.generated) {
    lines.push(
      `Webhook secret (generated for this run): ${secret.value}`,
      `  To keep it across restarts, put this line in ${ENV_FILE}:`,
      `    ${ENV.secret}=${secret.value}`,
      '  Real Authgear deliveries are signed with the secret shown in the Authgear portal',
      `  (Advanced → Hooks): put that one in ${ENV_FILE} to accept them.`,
    );
  } else {
    lines.push(`Webhook secret: from ${ENV.secret}.`);
  }
  lines.push('', `Inspector (deliveries, replay, samples): ${server.inspectorUrl}`);
  lines.push('', describeAdminApi(server.adminApi));
  const { schedule, speedup } = server.queue;
  lines.push(
    '',
    `Non-blocking events are queued, then handled in the background, as when deployed: a failing handler is retried`,
    `  ${schedule.maxAttempts - 1} times over ${schedule.windowMinutes} minutes (RETRY_WINDOW_MINUTES), here ${speedup} times faster (LOCAL_RETRY_SPEEDUP), then dead-lettered.`,
  );
  lines.push(
    '',
    'Hook configuration for authgear.yaml (local URLs):',
    '',
    server.hookYaml.trimEnd(),
    '',
    'Saving a file under functions/ or shared/ reloads the handlers; the secret, the inspector and the queue stay.',
    'Press Ctrl+C to stop. Request logs follow, one JSON line per request.',
    '',
  );
  return `${lines.join('\n')}\n`;
}

main().catch((error: unknown) => {
  if (error instanceof HandlerFileError || error instanceof ConfigError || error instanceof PortInUseError) {
    process.stderr.write(`${error.message}\n`, () => process.exit(1));
  } else {
    process.stderr.write(
      `Could not start the local server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      () => process.exit(1),
    );
  }
});
