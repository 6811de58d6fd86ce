/**
 * Compile-only checks for handler secrets (run by `tsc --noEmit`, not by vitest): a handler reads
 * only the secrets it declares. Each `@ts-expect-error` line must fail to compile.
 */
import { defineBlockingHandler, defineNonBlockingHandler } from '../../shared';
import { invokeHandler } from '../../shared/testing';

// --- declared names compile ----------------------------------------------------------------------

export const reads = defineNonBlockingHandler(
  'user.created',
  async (_event, { secrets }) => {
    const apiKey: string = await secrets.get('crm/api-key');
    await secrets.get('crm/other');
    void apiKey;
  },
  { secrets: ['crm/api-key', 'crm/other'] },
);

export const blockingReads = defineBlockingHandler(
  'user.pre_create',
  async (_event, { secrets }) => {
    await secrets.get('arn:aws:secretsmanager:eu-west-1:123456789012:secret:fraud/key-AbC123');
    return { is_allowed: true };
  },
  { onError: 'deny', secrets: ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:fraud/key-AbC123'] },
);

// The test kit takes values for the declared names.
export const invoked = invokeHandler(reads, { secrets: { 'crm/api-key': 'k', 'crm/other': 'o' } });

// --- undeclared names do not ---------------------------------------------------------------------

export const undeclared = defineNonBlockingHandler(
  'user.created',
  async (_event, { secrets }) => {
    // @ts-expect-error: 'crm/other' is not in the options' secrets
    await secrets.get('crm/other');
  },
  { secrets: ['crm/api-key'] },
);

export const noneDeclared = defineBlockingHandler('user.pre_create', async (_event, { secrets }) => {
  // @ts-expect-error: a handler without a secrets option reads no secret
  await secrets.get('crm/api-key');
  return { is_allowed: true };
});

// @ts-expect-error: the test kit refuses a value for a secret the handler did not declare
export const wrongValue = invokeHandler(reads, { secrets: { 'crm/unknown': 'x' } });
