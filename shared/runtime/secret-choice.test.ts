import { describe, expect, it } from 'vitest';
import { chooseSecret } from './secret-choice';

describe('chooseSecret', () => {
  it('prefers a flag, then the value in the environment, then the Secrets Manager id', () => {
    // Prepare
    const env = {
      AUTHGEAR_WEBHOOK_SECRET: 'from-env',
      AUTHGEAR_WEBHOOK_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:s-AbCdEf',
    };

    // Act
    const choices = [
      chooseSecret(env, { secret: 'from-flag', secretId: 'flag-id' }),
      chooseSecret(env, { secretId: 'flag-id' }),
      chooseSecret(env),
      chooseSecret({ AUTHGEAR_WEBHOOK_SECRET_ID: env.AUTHGEAR_WEBHOOK_SECRET_ID }),
    ];

    // Assess
    expect(choices).toEqual([
      { kind: 'value', value: 'from-flag', from: '--secret' },
      { kind: 'secrets-manager', secretId: 'flag-id', from: '--secret-id' },
      { kind: 'value', value: 'from-env', from: 'AUTHGEAR_WEBHOOK_SECRET' },
      { kind: 'secrets-manager', secretId: env.AUTHGEAR_WEBHOOK_SECRET_ID, from: 'AUTHGEAR_WEBHOOK_SECRET_ID' },
    ]);
  });

  it('treats blank variables as unset and gives undefined when nothing names a secret', () => {
    // Act
    const choice = chooseSecret({ AUTHGEAR_WEBHOOK_SECRET: '', AUTHGEAR_WEBHOOK_SECRET_ID: '' });

    // Assess
    expect(choice).toBeUndefined();
  });

  it('counts a flag as given even when it is empty, so the caller can report it', () => {
    // Act
    const choice = chooseSecret({ AUTHGEAR_WEBHOOK_SECRET: 'from-env' }, { secret: '' });

    // Assess
    expect(choice).toEqual({ kind: 'value', value: '', from: '--secret' });
  });
});
