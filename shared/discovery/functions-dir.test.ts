import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS_DIR_ENV, functionsDirOf } from './functions-dir';

describe('functionsDirOf', () => {
  it.each([
    ['unset', {}, join('/repo', 'functions')],
    ['empty', { [FUNCTIONS_DIR_ENV]: ' ' }, join('/repo', 'functions')],
    ['relative to the project', { [FUNCTIONS_DIR_ENV]: 'test/fixtures/handlers' }, join('/repo', 'test', 'fixtures', 'handlers')],
    ['absolute', { [FUNCTIONS_DIR_ENV]: '/elsewhere/handlers' }, '/elsewhere/handlers'],
  ])('%s: %j → %s', (_name, env, expected) => {
    // Act
    const dir = functionsDirOf('/repo', env);

    // Assess
    expect(dir).toBe(expected);
  });
});
