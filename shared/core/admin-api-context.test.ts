/**
 * `context.adminApi` as the core hands it to handlers: made on first read from the injected
 * factory with the run's deadline and signal, hidden from spreads, and a clear error without configuration.
 */
import { describe, expect, it } from 'vitest';
import { AdminApiConfigError } from '../admin-api/errors';
import { createAdminApiFactory } from '../admin-api/factory';
import type { AdminApiRunScope } from '../admin-api/types';
import { fakeAdminApi } from '../devtools/fake-admin-api';
import type { HandlerContext } from './handler';
import { createJsonLogger } from './logger';
import { runHandler, type RunOptions } from './run-handler';

const logger = createJsonLogger({ level: 'silent' });

describe('context.adminApi', () => {
  it('is made once, on first read, from the factory, with the run deadline and signal', async () => {
    // Prepare
    const scopes: AdminApiRunScope[] = [];
    const fake = fakeAdminApi();
    const options: RunOptions = { logger, now: Date.now, adminApi: (scope) => (scopes.push(scope), fake.adminApi) };
    const deadline = Date.now() + 4_000;
    let keys: string[] = [];
    let same = false;

    // Act
    const run = runHandler(
      async (context: HandlerContext) => {
        keys = Object.keys({ ...context });
        const before = scopes.length;
        const first = context.adminApi;
        same = first === context.adminApi;
        await context.adminApi.addUserToGroups('u1', ['vip']);
        return before;
      },
      deadline,
      {},
      options,
    );
    const settled = await run;

    // Assess
    expect(settled).toEqual({ ok: true, value: 0 });
    expect(keys).toEqual(['logger', 'signal', 'secrets', 'deadline']);
    expect(same).toBe(true);
    expect(scopes).toHaveLength(1);
    expect(scopes[0]?.deadline).toBe(deadline);
    expect(scopes[0]?.signal).toBeInstanceOf(AbortSignal);
    expect(scopes[0]?.signal?.aborted).toBe(true); // the run is over
    expect(fake.calls.map((c) => c.operation)).toEqual(['addUserToGroups']);
  });

  it('is never made for a handler that does not read it', () => {
    // Prepare
    let made = 0;
    const options: RunOptions = {
      logger,
      now: Date.now,
      adminApi: () => {
        made++;
        return fakeAdminApi().adminApi;
      },
    };

    // Act
    runHandler((context) => ({ ...context, is_allowed: true }), Date.now() + 1_000, {}, options);

    // Assess
    expect(made).toBe(0);
  });

  it('throws what to set when the Admin API is not configured, and the handler fails with that message', async () => {
    // Prepare
    const adminApi = createAdminApiFactory({ env: {}, keyTtlMs: 1_000, keyRefreshIntervalMs: 1_000 });

    // Act
    const settled = await runHandler(
      async (context) => context.adminApi.getUser('u1'),
      Date.now() + 1_000,
      {},
      { logger, now: Date.now, adminApi },
    );
    const withoutFactory = runHandler((context) => context.adminApi, Date.now() + 1_000, {}, { logger, now: Date.now });

    // Assess
    expect(adminApi.config.status).toBe('not_configured');
    expect(settled.ok).toBe(false);
    const error = (settled as { error: unknown }).error;
    expect(error).toBeInstanceOf(AdminApiConfigError);
    expect((error as Error).message).toMatch(
      /not configured: set AUTHGEAR_ENDPOINT .* AUTHGEAR_ADMIN_API_KEY_ID and AUTHGEAR_ADMIN_API_PRIVATE_KEY/,
    );
    expect(withoutFactory).toMatchObject({ ok: false, error: expect.any(AdminApiConfigError) });
  });
});
