import { afterEach, describe, expect, it } from 'vitest';
import { describeError } from './logger';
import { mapStack, setStackMapper, tidyStack } from './stack';

afterEach(() => setStackMapper(undefined));

describe('tidyStack', () => {
  it('shows project paths relative to the project and other paths by file name only', () => {
    // Act
    const tidied = tidyStack(
      'Error: x\n    at f (/var/task/functions/blocking/a.ts:3:9)\n    at g (file:///usr/lib/node/lib.js:1:2)',
      '/var/task',
    );

    // Assess
    expect(tidied).toBe('Error: x\n    at f (functions/blocking/a.ts:3:9)\n    at g (…/lib.js:1:2)');
  });
});

describe('mapStack and setStackMapper', () => {
  it('leaves a stack as it is while no mapper is installed', () => {
    // Act & Assess
    expect(mapStack('Error: x\n    at f (/var/task/index.mjs:1:200)')).toBe('Error: x\n    at f (/var/task/index.mjs:1:200)');
  });

  it('passes every stack describeError reads through the installed mapper', () => {
    // Prepare
    setStackMapper((stack) => stack.replace('/var/task/index.mjs:1:200', 'functions/blocking/a.ts:3:9'));
    const error = new Error('boom');
    error.stack = 'Error: boom\n    at f (/var/task/index.mjs:1:200)';

    // Act
    const described = describeError(error);

    // Assess
    expect(described.error_stack).toBe('Error: boom\n    at f (functions/blocking/a.ts:3:9)');
  });

  it('keeps the stack when the mapper throws, so describing an error never fails', () => {
    // Prepare
    setStackMapper(() => {
      throw new Error('broken map');
    });

    // Act & Assess
    expect(mapStack('Error: x\n    at f (/var/task/index.mjs:1:200)')).toBe('Error: x\n    at f (/var/task/index.mjs:1:200)');
  });
});
