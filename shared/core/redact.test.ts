import { describe, expect, it } from 'vitest';
import { vector } from '../../test/fixtures/authgear-vectors';
import { sampleEvent } from '../devtools/samples';
import { createJsonLogger } from './logger';
import { collectPersonalValues, isPersonalKey } from './personal-data';
import { REDACTED, createRedactor, redactText, redactingLogger } from './redact';
import { tidyStack } from './stack';

const EMAIL = 'jane.doe@example.com';
const USER_ID = '5a2f4e7c-9b1d-4c3e-8f6a-0d2b7e9c1a34';
const IP = '81.2.69.160';
const ROOT = '/srv/app';

const event = (type: string): unknown => JSON.parse(vector(type).body);

describe('collectPersonalValues', () => {
  it('finds the e-mail, names, user id, IP, user agent and OAuth state of an event, longest first', () => {
    // Prepare
    const profileUpdate = event('user.profile.pre_update');
    const preCreate = event('user.pre_create');

    // Act
    const fromProfile = collectPersonalValues(profileUpdate);
    const fromPreCreate = collectPersonalValues(preCreate);

    // Assess
    expect(fromProfile).toEqual(expect.arrayContaining([EMAIL, USER_ID, IP, 'Jane Doe', 'Jane', 'Doe']));
    expect(fromProfile.some((v) => v.startsWith('Mozilla/5.0'))).toBe(true);
    expect(fromPreCreate).toEqual(expect.arrayContaining([EMAIL, USER_ID, IP, 'c2lnbnVwLTE3ODcyMTczMzE']));
    const lengths = fromProfile.map((v) => v.length);
    expect(lengths).toEqual([...lengths].sort((a, b) => b - a));
  });

  it('leaves out what describes a value rather than a person: login id kind, flow name, languages, ids of events and apps', () => {
    // Prepare
    const login = event('authentication.pre_authenticated');

    // Act
    const values = collectPersonalValues(login);

    // Assess
    for (const harmless of [
      'email',
      'default',
      'login',
      'en',
      'en-GB',
      'GB',
      'myapp',
      '000000000000bc67',
      'a3f91c2b7d4e6058',
      'password',
    ]) {
      expect(values).not.toContain(harmless);
    }
    expect(values).toContain(EMAIL);
  });

  it('finds a phone number login id and the values of custom attributes', () => {
    // Prepare
    const phoneAdded = sampleEvent('identity.phone.added') as unknown as { payload: { identity: { claims: Record<string, string> } } };
    const phone = phoneAdded.payload.identity.claims.phone_number as string;
    const withCustom = {
      payload: { user: { id: 'u-42', custom_attributes: { member_no: 'M-88812', tier: { level: 'gold' } } } },
      context: {},
    };

    // Act
    const phoneValues = collectPersonalValues(phoneAdded);
    const customValues = collectPersonalValues(withCustom);

    // Assess
    expect(phone).toMatch(/^\+\d+$/);
    expect(phoneValues).toContain(phone);
    expect(customValues).toEqual(expect.arrayContaining(['M-88812', 'gold', 'u-42']));
  });

  it('survives events that are not objects, and deep or cyclic ones', () => {
    // Prepare
    const cyclic: Record<string, unknown> = { email: 'loop@example.com' };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { email: 'deep@example.com' };
    for (let i = 0; i < 10_000; i += 1) deep = { next: deep };

    // Act
    const results = [null, 'text', 42, { payload: cyclic, context: null }, { payload: deep, context: {} }].map(collectPersonalValues);

    // Assess
    expect(results.slice(0, 3)).toEqual([[], [], []]);
    expect(results[3]).toEqual(['loop@example.com']);
    expect(results[4]).toEqual([]); // beyond the depth bound: not walked, not crashed
  });
});

describe('redactText', () => {
  it('replaces long values anywhere and short ones only as whole words', () => {
    // Prepare
    const values = ['ana@example.com', 'Ana'];

    // Act
    const out = redactText('Ana (ana@example.com) not in Analytics; Ana.', values);

    // Assess
    expect(out).toBe(`${REDACTED} (${REDACTED}) not in Analytics; ${REDACTED}.`);
  });

  it('replaces anything shaped like an e-mail address or an international phone number, from any event', () => {
    // Prepare
    const text = 'no match for bob@other.org or +852 9123 4567 in @aws-sdk/client@3.1164.0 after 1500 ms';

    // Act
    const out = redactText(text, []);

    // Assess
    expect(out).toBe(`no match for ${REDACTED} or ${REDACTED} in @aws-sdk/client@3.1164.0 after 1500 ms`);
  });
});

describe('createRedactor', () => {
  it("keeps an error's name, the rest of its message and its file:line frames, and drops the event's personal values", () => {
    // Prepare
    const redactor = createRedactor(event('user.pre_create'), { personalData: false, root: ROOT });
    const error = new TypeError(`lookup failed for ${EMAIL} (user ${USER_ID})`);
    error.stack = `TypeError: lookup failed for ${EMAIL} (user ${USER_ID})\n    at lookup (${ROOT}/functions/blocking/user.pre_create.ts:12:11)\n    at /home/ana/.npm/_npx/lib/run.js:3:7\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`;

    // Act
    const fields = redactor.error(error);

    // Assess
    expect(fields).toEqual({
      error_name: 'TypeError',
      error_message: `lookup failed for ${REDACTED} (user ${REDACTED})`,
      error_stack: `TypeError: lookup failed for ${REDACTED} (user ${REDACTED})\n    at lookup (functions/blocking/user.pre_create.ts:12:11)\n    at …/run.js:3:7\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`,
    });
  });

  it('redacts a thrown string', () => {
    // Prepare
    const redactor = createRedactor(event('user.pre_create'), { personalData: false, root: ROOT });

    // Act
    const fields = redactor.error(`request from ${IP} for +447700900123 refused`);

    // Assess
    expect(fields).toEqual({ error_message: `request from ${REDACTED} for ${REDACTED} refused` });
  });

  it('redacts fields at any depth, blanks personal field names, and copes with cycles and errors', () => {
    // Prepare
    const redactor = createRedactor(event('user.pre_create'), { personalData: false, root: ROOT });
    const cyclic: Record<string, unknown> = { note: `for ${EMAIL}` };
    cyclic.again = cyclic;
    const fields = {
      email: EMAIL,
      emailAddress: 'someone@else.example',
      phoneNumber: 12345678,
      plan: 'pro',
      nested: { list: [`user ${USER_ID}`, 3, true], at: new Date(0) },
      cyclic,
      failure: new Error(`no ${EMAIL}`),
      verified: true,
    };

    // Act
    const out = redactor.fields(fields) as Record<string, unknown>;

    // Assess
    expect(out.email).toBe(REDACTED);
    expect(out.emailAddress).toBe(REDACTED);
    expect(out.phoneNumber).toBe(REDACTED);
    expect(out.plan).toBe('pro');
    expect(out.nested).toEqual({ list: [`user ${REDACTED}`, 3, true], at: '1970-01-01T00:00:00.000Z' });
    expect(out.cyclic).toEqual({ note: `for ${REDACTED}`, again: '[circular]' });
    expect(out.failure).toMatchObject({ error_name: 'Error', error_message: `no ${REDACTED}` });
    expect(out.verified).toBe(true);
    expect(JSON.stringify(out)).not.toContain(EMAIL);
    expect(fields.email).toBe(EMAIL); // the handler's own object is not changed
  });

  it('changes nothing but stack paths when LOG_PERSONAL_DATA is on', () => {
    // Prepare
    const redactor = createRedactor(event('user.pre_create'), { personalData: true, root: ROOT });
    const error = new Error(`lookup failed for ${EMAIL}`);
    error.stack = `Error: lookup failed for ${EMAIL}\n    at f (${ROOT}/functions/x.ts:1:2)`;

    // Act
    const described = redactor.error(error);
    const fields = redactor.fields({ email: EMAIL });
    const text = redactor.text(`hello ${EMAIL}`);

    // Assess
    expect(described).toEqual({
      error_name: 'Error',
      error_message: `lookup failed for ${EMAIL}`,
      error_stack: `Error: lookup failed for ${EMAIL}\n    at f (functions/x.ts:1:2)`,
    });
    expect(fields).toEqual({ email: EMAIL });
    expect(text).toBe(`hello ${EMAIL}`);
  });
});

describe('redactingLogger', () => {
  it("redacts a handler's message and fields before they reach the log", () => {
    // Prepare
    const lines: string[] = [];
    const logger = redactingLogger(
      createJsonLogger({ level: 'debug', sink: (_level, line) => lines.push(line) }),
      createRedactor(event('user.pre_create'), { personalData: false, root: ROOT }),
    );

    // Act
    logger.info(`welcome mail sent to ${EMAIL}`, { email: EMAIL, user_id: USER_ID, ip: IP, attempt: 1 });
    logger.error('failed', { detail: `from ${IP}` });

    // Assess
    const [first, second] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(first).toMatchObject({ msg: `welcome mail sent to ${REDACTED}`, email: REDACTED, user_id: REDACTED, ip: REDACTED, attempt: 1 });
    expect(second).toMatchObject({ level: 'error', detail: `from ${REDACTED}` });
    for (const line of lines) for (const value of [EMAIL, USER_ID, IP]) expect(line).not.toContain(value);
  });
});

describe('isPersonalKey', () => {
  it('matches personal field names in any case and punctuation, and nothing else', () => {
    // Prepare
    const names = ['email', 'E-Mail-Address', 'phone_number', 'userId', 'user_id', 'ipAddress', 'plan', 'attempt', 'event_id', 'status'];

    // Act
    const matched = names.filter(isPersonalKey);

    // Assess
    expect(matched).toEqual(['email', 'E-Mail-Address', 'phone_number', 'userId', 'user_id', 'ipAddress']);
  });
});

describe('tidyStack', () => {
  it('shows project paths relative to the project and keeps only the file of other absolute paths', () => {
    // Prepare
    const stack = [
      'Error: x',
      `    at a (${ROOT}/functions/blocking/a.ts:3:9)`,
      `    at file://${ROOT}/shared/core/app.ts:10:2`,
      '    at b (/usr/lib/node_modules/pkg/index.js:7:1)',
      '    at c (C:\\Users\\ana\\app\\x.js:1:1)',
      '    at node:internal/process/task_queues:95:5',
      '    at d (relative/path.js:4:4)',
    ].join('\n');

    // Act
    const tidy = tidyStack(stack, `${ROOT}/`);

    // Assess
    expect(tidy.split('\n')).toEqual([
      'Error: x',
      '    at a (functions/blocking/a.ts:3:9)',
      '    at shared/core/app.ts:10:2',
      '    at b (…/index.js:7:1)',
      '    at c (…/x.js:1:1)',
      '    at node:internal/process/task_queues:95:5',
      '    at d (relative/path.js:4:4)',
    ]);
  });
});
