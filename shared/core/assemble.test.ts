import { describe, expect, it } from 'vitest';
import { assembleHandlers, formatHandlerProblems, type LoadedHandlerModule } from './assemble';
import { BLOCKING_EVENT_TYPES, NON_BLOCKING_EVENT_TYPES } from './constants';
import { HandlerFileError } from './errors';
import { defineBlockingHandler, defineNonBlockingHandler } from './handler';

const preCreate = defineBlockingHandler('user.pre_create', () => ({ is_allowed: true }));
const jwtPreCreate = defineBlockingHandler('oidc.jwt.pre_create', () => ({ is_allowed: true }));
const created = defineNonBlockingHandler('user.created', () => undefined);
const deleted = defineNonBlockingHandler('user.deleted', () => undefined);

const blockingModule = (eventType: string, exported: unknown): LoadedHandlerModule => ({
  file: `functions/blocking/${eventType}.ts`,
  kind: 'blocking',
  eventType,
  exported,
});

const nonBlockingModule = (eventType: string, exported: unknown): LoadedHandlerModule => ({
  file: `functions/non-blocking/${eventType}.ts`,
  kind: 'non-blocking',
  eventType,
  exported,
});

const BOTH = { blocking: true, nonBlocking: true } as const;

/** Calls assembleHandlers and returns its HandlerFileError, failing the test if it did not throw one. */
function problemOf(modules: readonly LoadedHandlerModule[]): HandlerFileError {
  try {
    assembleHandlers(modules, BOTH);
  } catch (error) {
    if (error instanceof HandlerFileError) return error;
    throw error;
  }
  throw new Error('assembleHandlers accepted the modules');
}

describe('assembleHandlers: valid modules', () => {
  it('maps each event type to the handler its file exports', () => {
    // Prepare
    const modules = [
      blockingModule('user.pre_create', preCreate),
      blockingModule('oidc.jwt.pre_create', jwtPreCreate),
      nonBlockingModule('user.created', created),
      nonBlockingModule('user.deleted', deleted),
    ];

    // Act
    const set = assembleHandlers(modules, BOTH);

    // Assess
    expect(set.blocking?.get('user.pre_create')).toBe(preCreate);
    expect(set.blocking?.get('oidc.jwt.pre_create')).toBe(jwtPreCreate);
    expect(set.blocking?.size).toBe(2);
    expect(set.nonBlocking?.get('user.created')).toBe(created);
    expect(set.nonBlocking?.get('user.deleted')).toBe(deleted);
    expect(set.nonBlocking?.size).toBe(2);
  });

  it('leaves out the non-blocking map when this process serves only blocking events', () => {
    // Prepare
    const modules = [blockingModule('user.pre_create', preCreate)];

    // Act
    const set = assembleHandlers(modules, { blocking: true, nonBlocking: false });

    // Assess
    expect(set.blocking?.size).toBe(1);
    expect('nonBlocking' in set).toBe(false);
  });

  it('leaves out the blocking map when this process serves only non-blocking events', () => {
    // Prepare
    const modules = [nonBlockingModule('user.created', created)];

    // Act
    const set = assembleHandlers(modules, { blocking: false, nonBlocking: true });

    // Assess
    expect('blocking' in set).toBe(false);
    expect(set.nonBlocking?.size).toBe(1);
  });

  it('serves an empty map, not a missing one, when a served kind has no files', () => {
    // Prepare
    const modules: LoadedHandlerModule[] = [];

    // Act
    const set = assembleHandlers(modules, BOTH);

    // Assess
    expect(set.blocking?.size).toBe(0);
    expect(set.nonBlocking?.size).toBe(0);
  });
});

describe('assembleHandlers: mistakes', () => {
  it.each([
    ['undefined (no default export)', undefined],
    ['a bare function', () => ({ is_allowed: true })],
    ['a plain object without kind', { event: 'user.pre_create', handle: () => ({ is_allowed: true }) }],
    ['null', null],
  ])('names the file and the helper to use when the default export is %s', (_name, exported) => {
    // Prepare
    const modules = [blockingModule('user.pre_create', exported)];

    // Act
    const error = problemOf(modules);

    // Assess
    expect(error.message).toContain(
      "functions/blocking/user.pre_create.ts: the default export must be defineBlockingHandler('user.pre_create', …)",
    );
  });

  it('names defineNonBlockingHandler for a non-blocking file that exports something else', () => {
    // Prepare
    const modules = [nonBlockingModule('user.created', { default: created })];

    // Act
    const error = problemOf(modules);

    // Assess
    expect(error.message).toContain(
      "functions/non-blocking/user.created.ts: the default export must be defineNonBlockingHandler('user.created', …)",
    );
  });

  it('refuses a non-blocking handler exported from the blocking folder', () => {
    // Prepare
    const modules = [blockingModule('user.pre_create', created)];

    // Act
    const error = problemOf(modules);

    // Assess
    expect(error.message).toContain(
      'functions/blocking/user.pre_create.ts: exports a non-blocking handler, but the file is in functions/blocking/; use defineBlockingHandler',
    );
  });

  it('refuses a blocking handler exported from the non-blocking folder', () => {
    // Prepare
    const modules = [nonBlockingModule('user.created', preCreate)];

    // Act
    const error = problemOf(modules);

    // Assess
    expect(error.message).toContain(
      'functions/non-blocking/user.created.ts: exports a blocking handler, but the file is in functions/non-blocking/; use defineNonBlockingHandler',
    );
  });

  it('refuses a handler whose event is not the one its file is named for', () => {
    // Prepare
    const modules = [blockingModule('user.profile.pre_update', preCreate)];

    // Act
    const error = problemOf(modules);

    // Assess
    expect(error.message).toContain(
      "functions/blocking/user.profile.pre_update.ts: handles 'user.pre_create' but the file is named for 'user.profile.pre_update'",
    );
  });

  it('refuses a second handler for the same event', () => {
    // Prepare
    const modules = [
      blockingModule('user.pre_create', preCreate),
      { ...blockingModule('user.pre_create', preCreate), file: 'functions/blocking/user.pre_create.js' },
    ];

    // Act
    const error = problemOf(modules);

    // Assess
    expect(error.message).toContain('functions/blocking/user.pre_create.js: a second handler for user.pre_create');
  });

  it('reports every problem at once, leaving out the valid modules', () => {
    // Prepare
    const modules = [
      blockingModule('user.pre_create', preCreate),
      blockingModule('oidc.jwt.pre_create', undefined),
      blockingModule('user.profile.pre_update', created),
      nonBlockingModule('user.deleted', created),
      nonBlockingModule('user.created', created),
    ];

    // Act
    const error = problemOf(modules);

    // Assess
    const listed = error.message.split('\n').filter((line) => line.startsWith('  - '));
    expect(listed).toHaveLength(3);
    expect(listed[0]).toContain('functions/blocking/oidc.jwt.pre_create.ts');
    expect(listed[1]).toContain('functions/blocking/user.profile.pre_update.ts');
    expect(listed[2]).toContain('functions/non-blocking/user.deleted.ts');
  });
});

describe('formatHandlerProblems', () => {
  it('lists the problems, then the valid types of both kinds and the ignored-file rule', () => {
    // Prepare
    const problems = ['functions/blocking/a.ts: first', 'functions/non-blocking/b.ts: second'];

    // Act
    const message = formatHandlerProblems(problems);

    // Assess
    const lines = message.split('\n');
    expect(lines[0]).toBe('Invalid handler file(s):');
    expect(lines[1]).toBe('  - functions/blocking/a.ts: first');
    expect(lines[2]).toBe('  - functions/non-blocking/b.ts: second');
    expect(lines[3]).toBe(`Valid blocking event types (functions/blocking/<type>.ts): ${BLOCKING_EVENT_TYPES.join(', ')}`);
    expect(lines[4]).toBe(`Valid non-blocking event types (functions/non-blocking/<type>.ts): ${NON_BLOCKING_EVENT_TYPES.join(', ')}`);
    expect(lines[5]).toMatch(/"_".*\*\.test\.ts.*ignored/);
  });
});
