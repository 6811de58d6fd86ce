import { describe, expect, it } from 'vitest';
import { AdminApiError } from '../admin-api/errors';
import { userNodeId } from '../admin-api/node-id';
import { defineBlockingHandler, defineNonBlockingHandler } from '../core/handler';
import { fakeAdminApi, invokeHandler, sampleAdminApiUser } from '../testing';

const addToGroup = defineNonBlockingHandler('user.created', async (event, { adminApi }) => {
  await adminApi.addUserToGroups(event.payload.user.id, ['newcomers']);
});

describe('the test kit with a fake Admin API', () => {
  it('records the request a handler sends and answers it like Authgear', async () => {
    // Prepare
    const admin = fakeAdminApi();

    // Act
    const result = await invokeHandler(addToGroup, { adminApi: admin, sample: { user: { id: 'u-42' } } });

    // Assess
    expect(result.outcome).toBe('handled');
    expect(admin.calls).toHaveLength(1);
    expect(admin.calls[0]).toMatchObject({
      operation: 'addUserToGroups',
      variables: { input: { userID: userNodeId('u-42'), groupKeys: ['newcomers'] } },
    });
  });

  it('lets a test make the Admin API fail, and the failure reaches the outcome', async () => {
    // Prepare
    const admin = fakeAdminApi({
      addUserToGroups: new AdminApiError('the Admin API refused addUserToGroups with HTTP 403', { kind: 'http_status', status: 403 }),
    });

    // Act
    const result = await invokeHandler(addToGroup, { adminApi: admin });

    // Assess
    expect(result.outcome).toBe('handler_failed');
    expect(result.errorMessage).toMatch(/HTTP 403/);
  });

  it('answers canned data by operation name, also to raw queries', async () => {
    // Prepare
    const admin = fakeAdminApi({ getUser: { node: { __typename: 'User', ...sampleAdminApiUser('u-1', { isDisabled: true }) } } });
    const handler = defineBlockingHandler('user.pre_create', async (_event, { adminApi }) => {
      const user = await adminApi.getUser('u-1');
      const raw = await adminApi.graphql<{ roles: unknown }>('query listRoles { roles { totalCount } }');
      return user?.isDisabled && raw ? { is_allowed: false, title: 'Disabled', reason: 'This account is disabled.' } : { is_allowed: true };
    });
    admin.respond('listRoles', (variables: unknown) => ({ roles: { totalCount: variables === undefined ? 0 : 1 } }));

    // Act
    const result = await invokeHandler(handler, { adminApi: admin });

    // Assess
    expect(result.answer).toEqual({ is_allowed: false, title: 'Disabled', reason: 'This account is disabled.' });
    expect(admin.calls.map((c) => c.operation)).toEqual(['getUser', 'listRoles']);
  });

  it('fails loudly for an operation it has no answer for, and without a fake the handler meets "not configured"', async () => {
    // Prepare
    const admin = fakeAdminApi();
    const raw = defineNonBlockingHandler('user.created', async (_event, { adminApi }) => {
      await adminApi.graphql('query unknownThing { roles { totalCount } }');
    });

    // Act
    const unanswered = await invokeHandler(raw, { adminApi: admin });
    const unconfigured = await invokeHandler(addToGroup);

    // Assess
    expect(unanswered.errorMessage).toMatch(/no answer for unknownThing; give one with respond\(\)/);
    expect(unconfigured.outcome).toBe('handler_failed');
    expect(unconfigured.errorMessage).toMatch(/Admin API is not available here/);
  });
});
