/**
 * No personal data in logs unless LOG_PERSONAL_DATA is on, checked the way a careless handler
 * author would break it: a blocking handler that throws an Error naming the user's e-mail, one that
 * throws a string with a phone number and a name, and a non-blocking handler that logs the e-mail
 * and phone with its context logger and then fails. Over real HTTP against the local server (the
 * non-blocking one through its queue) and through the Lambda adapter.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createLambdaHandler } from '../shared/adapters/lambda';
import { defineBlockingHandler } from '../shared/core/handler';
import { createJsonLogger } from '../shared/core/logger';
import { collectPersonalValues } from '../shared/core/personal-data';
import { staticSecretSource } from '../shared/core/secret';
import { signBody } from '../shared/core/verify';
import { sampleBody } from '../shared/devtools/samples';
import { startLocalServer } from '../shared/local/server';
import { REPO_ROOT, SHARED_FROM_HANDLER } from './support/paths';
import { preCreateModule } from './support/fixture-handlers';

const SECRET = 'Pd4tRw8Ks1Lq6Zn3Xb9Vm2Hc7Jf0Gy5A';
const EMAIL = 'ana.lima@example.org';
const PHONE = '+447700900123';

const HANDLERS: Record<string, string> = {
  'functions/blocking/user.pre_create.ts': `import { defineBlockingHandler } from '${SHARED_FROM_HANDLER}';
export default defineBlockingHandler('user.pre_create', (event) => {
  const email = event.payload.user.standard_attributes.email;
  throw new Error('lookup failed for ' + email + ' (user ' + event.payload.user.id + ')');
});
`,
  'functions/blocking/user.profile.pre_update.ts': `import { defineBlockingHandler } from '${SHARED_FROM_HANDLER}';
export default defineBlockingHandler('user.profile.pre_update', (event) => {
  throw 'no CRM contact for ' + event.payload.user.standard_attributes.given_name + ' at ${PHONE}';
}, { onError: 'allow' });
`,
  'functions/non-blocking/identity.phone.added.ts': `import { defineNonBlockingHandler } from '${SHARED_FROM_HANDLER}';
export default defineNonBlockingHandler('identity.phone.added', (event, { logger }) => {
  const phone = event.payload.identity.claims.phone_number;
  const email = event.payload.user.standard_attributes.email;
  logger.info('syncing phone ' + phone, { email, phone, user: event.payload.user.id, ip: event.context.ip_address });
  throw new Error('CRM rejected ' + phone + ' for ' + email);
});
`,
};

const temporaryDirs: string[] = [];
afterAll(() => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'personal-data-'));
  temporaryDirs.push(root);
  symlinkSync(join(REPO_ROOT, 'shared'), join(root, 'shared'));
  for (const [file, text] of Object.entries(HANDLERS)) {
    mkdirSync(resolve(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  return root;
}

const bodies = {
  preCreate: sampleBody('user.pre_create', { email: EMAIL, givenName: 'Ana', familyName: 'Lima' }),
  profile: sampleBody('user.profile.pre_update', { email: EMAIL, givenName: 'Ana', familyName: 'Lima' }),
  phoneAdded: sampleBody('identity.phone.added', { email: EMAIL, givenName: 'Ana', familyName: 'Lima' }),
};
/** Every personal value of the three events: none may appear in a log line. */
const personal = [...new Set(Object.values(bodies).flatMap((b) => collectPersonalValues(JSON.parse(b))))].filter((v) => v.length >= 3);

async function runLocal(env: Record<string, string>) {
  const root = project();
  const lines: string[] = [];
  const server = await startLocalServer({
    projectRoot: root,
    port: 0,
    env: { AUTHGEAR_WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'debug', ...env },
    logger: createJsonLogger({ level: 'debug', sink: (_l, line) => lines.push(line) }),
  });
  try {
    const post = (path: string, body: string) =>
      fetch(`${server.url}${path}`, { method: 'POST', headers: { 'x-authgear-body-signature': signBody(body, SECRET) }, body });
    const statuses = [
      (await post('/blocking/user.pre_create', bodies.preCreate)).status,
      (await post('/blocking/user.profile.pre_update', bodies.profile)).status,
      (await post('/non-blocking', bodies.phoneAdded)).status,
    ];
    // The queued event runs after its 200: wait for its failed attempt.
    await vi.waitFor(() => expect(lines.some((l) => l.includes('"outcome":"retry_scheduled"'))).toBe(true), {
      timeout: 5_000,
      interval: 20,
    });
    return { statuses, lines, root };
  } finally {
    await server.close();
  }
}

const parsed = (lines: readonly string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('personal data in logs, local server over HTTP', () => {
  it('logs none of the events’ personal values without LOG_PERSONAL_DATA, but keeps what helps: error name, message shape, relative file:line frames', async () => {
    // Act
    const { statuses, lines, root } = await runLocal({});

    // Assess
    expect(statuses).toEqual([200, 200, 200]);
    expect(personal).toEqual(expect.arrayContaining([EMAIL, PHONE, 'Ana', 'Lima']));
    for (const line of lines) for (const value of personal) expect(line, `a log line carries "${value}"`).not.toContain(value);
    for (const line of lines) expect(line).not.toContain(root); // no absolute path of the project
    const entries = parsed(lines);
    const threw = entries.find((e) => e.reason === 'handler_threw' && e.event_type === 'user.pre_create');
    expect(threw).toMatchObject({ error_name: 'Error', error_message: 'lookup failed for [redacted] (user [redacted])' });
    // This project is a temporary folder outside the working directory: its path is dropped, its
    // file:line kept. `npm start` serves a build of the handlers and the core; under tsx its source
    // maps name the .ts files, under the test runner (which maps only its own modules) the build's.
    expect(String(threw?.error_stack)).toMatch(/\(…\/user\.pre_create(?:\.ts|-\w+\.mjs):\d+:\d+\)/);
    expect(String(threw?.error_stack)).toMatch(/\((?:shared\/core\/app\.ts|…\/app-factory-\w+\.mjs):\d+:\d+\)/);
    const thrownString = entries.find((e) => e.reason === 'handler_threw' && e.event_type === 'user.profile.pre_update');
    expect(thrownString).toMatchObject({ outcome: 'error_policy_allow', error_message: 'no CRM contact for [redacted] at [redacted]' });
    const handlerLine = entries.find((e) => e.msg === 'syncing phone [redacted]');
    expect(handlerLine).toMatchObject({ email: '[redacted]', phone: '[redacted]', user: '[redacted]', ip: '[redacted]' });
    const retry = entries.find((e) => e.outcome === 'retry_scheduled');
    expect(retry).toMatchObject({ error_message: 'CRM rejected [redacted] for [redacted]' });
  });

  it('logs them when LOG_PERSONAL_DATA=true (so the test above can fail)', async () => {
    // Act
    const { lines } = await runLocal({ LOG_PERSONAL_DATA: 'true' });

    // Assess
    const text = lines.join('\n');
    expect(text).toContain(`lookup failed for ${EMAIL}`);
    expect(text).toContain(`syncing phone ${PHONE}`);
    expect(text).toContain(`CRM rejected ${PHONE} for ${EMAIL}`);
  });
});

describe('personal data in logs, Lambda adapter', () => {
  it('redacts a thrown error of a blocking handler in the deployed code path', async () => {
    // Prepare
    const lines: string[] = [];
    const handler = createLambdaHandler({
      serve: 'blocking',
      modules: [
        preCreateModule(
          defineBlockingHandler('user.pre_create', async (event, { logger }) => {
            logger.warn(`checking ${event.payload.user.standard_attributes.email}`, { from: event.context.ip_address });
            throw new Error(`lookup failed for ${event.payload.user.standard_attributes.email}`);
          }),
        ),
      ],
      env: {},
      secretSource: staticSecretSource(SECRET),
      logger: createJsonLogger({ level: 'debug', sink: (_l, line) => lines.push(line) }),
    });
    await handler.ready;

    // Act
    const response = await handler({
      version: '2.0',
      rawPath: '/blocking/user.pre_create',
      headers: { 'x-authgear-body-signature': signBody(bodies.preCreate, SECRET) },
      requestContext: { http: { method: 'POST' } },
      body: bodies.preCreate,
      isBase64Encoded: false,
    });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(String(response.body))).toMatchObject({ is_allowed: false });
    for (const line of lines) for (const value of personal) expect(line).not.toContain(value);
    expect(parsed(lines)).toContainEqual(expect.objectContaining({ msg: 'checking [redacted]', from: '[redacted]' }));
    expect(parsed(lines).at(-1)).toMatchObject({ reason: 'handler_threw', error_message: 'lookup failed for [redacted]' });
  });
});
