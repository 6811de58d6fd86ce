/**
 * The dashboard and the log-line metrics behind it: the metric filters must keep matching the lines
 * the core really writes (checked here against lines from the real request processor and worker),
 * and the dashboard must show every graph the operator needs and every alarm.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookApp } from '../shared/core/app';
import { readConfig } from '../shared/core/config';
import { defineBlockingHandler, defineNonBlockingHandler } from '../shared/core/handler';
import { createJsonLogger, type LogFields } from '../shared/core/logger';
import { createQueuedEventProcessor } from '../shared/core/queued';
import { SecretStore, staticSecretSource, type SecretSource } from '../shared/core/secret';
import { sampleBody } from '../shared/devtools/samples';
import { signedRequest } from '../shared/devtools/testing';
import { ALARM_IDS } from './alarms';
import { LOG_METRICS } from './log-metrics';
import { removeTempDirs, synthBeforeAll, synthProject } from '../test/support/stack-helpers';
import { resourcesOfType } from '../test/support/template-readers';

afterAll(removeTempDirs);

const SECRET = 'dashboard-test-secret';

interface Filter {
  readonly pattern: string;
  readonly metric: string;
  readonly value: string;
  readonly dimensions: Record<string, string>;
}

/**
 * Evaluates the JSON filter patterns this stack generates against one log line: terms
 * `($.field op value)` joined by `&&` or `||`. Throws on anything else, so a new kind of pattern
 * cannot pass unevaluated.
 */
function matches(pattern: string, line: LogFields): boolean {
  const body = /^\{ (.*) \}$/.exec(pattern)?.[1];
  if (!body) throw new Error(`not a JSON filter pattern: ${pattern}`);
  const joiner = body.includes(' || ') ? ' || ' : ' && ';
  const results = body.split(joiner).map((term) => {
    const m = /^\(?\$\.([a-z_]+) (=|>=) (?:"([^"]*)"|(-?\d+))\)?$/.exec(term.trim());
    if (!m) throw new Error(`unexpected term ${term} in ${pattern}`);
    const [, field, op, text, number] = m;
    const value = line[field as string];
    if (text !== undefined) return op === '=' && typeof value === 'string' && value === text;
    return op === '>=' && typeof value === 'number' && value >= Number(number);
  });
  return joiner === ' || ' ? results.some(Boolean) : results.every(Boolean);
}

/** What a matching filter publishes for `line`: the metric, its dimensions and value, as CloudWatch Logs would. */
const published = (filters: readonly Filter[], line: LogFields) =>
  filters
    .filter((f) => matches(f.pattern, line))
    .map((f) => ({
      metric: f.metric,
      value: f.value.startsWith('$.') ? line[f.value.slice(2)] : Number(f.value),
      dimensions: Object.fromEntries(Object.entries(f.dimensions).map(([name, path]) => [name, line[path.slice(2)]])),
    }));

/** Log lines from the real request processor, written through the real JSON logger. */
async function requestLines(source: SecretSource, requests: readonly ('allow' | 'deny' | 'forged')[]): Promise<LogFields[]> {
  const lines: LogFields[] = [];
  const logger = createJsonLogger({ level: 'debug', sink: (_level, line) => lines.push(JSON.parse(line) as LogFields) });
  const body = sampleBody('user.pre_create');
  const event = JSON.parse(body) as { context: { timestamp: number } };
  const app = createWebhookApp({
    handlers: {
      blocking: new Map([
        ['user.pre_create', defineBlockingHandler('user.pre_create', (e) => ({ is_allowed: !e.payload.user.id.startsWith('x') }))],
      ]),
    },
    secrets: new SecretStore({ source, logger, ttlMs: 60_000, refreshIntervalMs: 60_000 }),
    config: readConfig({}),
    logger,
    now: () => event.context.timestamp * 1000,
  });
  for (const kind of requests) {
    const signed = signedRequest(
      kind === 'deny' ? body.replace(/"user":\{"id":"/, '"user":{"id":"x') : body,
      kind === 'forged' ? 'not-the-secret' : SECRET,
    );
    await app.handle({ method: 'POST', path: '/blocking/user.pre_create', headers: signed.headers, body: signed.body });
  }
  return lines;
}

describe('log-line metrics', () => {
  const s = synthBeforeAll({ blocking: ['user.pre_create.ts'], nonBlocking: ['user.created.ts'] });
  let filtersOf: (logGroupOf: 'blocking' | 'receiver' | 'worker') => Filter[];

  beforeAll(() => {
    // Prepare
    const groupOf = (fnId: string) => JSON.stringify((s.json.Resources[fnId]?.Properties.LoggingConfig as { LogGroup: unknown }).LogGroup);
    const all = resourcesOfType(s.json, 'AWS::Logs::MetricFilter').map(([, f]) => {
      const [t] = f.Properties.MetricTransformations as {
        MetricName: string;
        MetricValue: string;
        Dimensions?: { Key: string; Value: string }[];
      }[];
      return {
        group: JSON.stringify(f.Properties.LogGroupName),
        filter: {
          pattern: String(f.Properties.FilterPattern),
          metric: t?.MetricName ?? '',
          value: t?.MetricValue ?? '',
          dimensions: Object.fromEntries((t?.Dimensions ?? []).map((d) => [d.Key, d.Value])),
        },
      };
    });
    const ids = { blocking: s.blockingId, receiver: s.nonBlockingId, worker: s.workerId };
    filtersOf = (which) => all.filter((f) => f.group === groupOf(ids[which])).map((f) => f.filter);
  });

  it('count each blocking request once by outcome, its latency, and a refusal by reason', async () => {
    // Prepare
    const lines = await requestLines(staticSecretSource(SECRET), ['allow', 'deny', 'forged']);
    const requestLine = (outcome: string) => lines.find((l) => l.outcome === outcome && typeof l.status === 'number') ?? {};

    // Act
    const allowed = published(filtersOf('blocking'), requestLine('allowed'));
    const denied = published(filtersOf('blocking'), requestLine('denied'));
    const refused = published(filtersOf('blocking'), requestLine('rejected'));

    // Assess
    expect(allowed).toEqual([
      { metric: LOG_METRICS.blockingRequests, value: 1, dimensions: { outcome: 'allowed' } },
      { metric: LOG_METRICS.blockingLatency, value: 0, dimensions: {} },
    ]);
    expect(denied.map((p) => [p.metric, p.dimensions])).toEqual([
      [LOG_METRICS.blockingRequests, { outcome: 'denied' }],
      [LOG_METRICS.blockingLatency, {}],
    ]);
    expect(refused).toContainEqual({ metric: LOG_METRICS.refusedRequests, value: 1, dimensions: { reason: 'signature_mismatch' } });
    expect(refused).toContainEqual({ metric: LOG_METRICS.blockingRequests, value: 1, dimensions: { outcome: 'rejected' } });
    // Every other line (handler logs, the secret's debug line) publishes nothing.
    const others = lines.filter((l) => typeof l.status !== 'number');
    expect(others.length).toBeGreaterThan(0);
    for (const line of others) expect(published(filtersOf('blocking'), line)).toEqual([]);
  });

  it('count a failed Secrets Manager fetch, and the request it refused with 503', async () => {
    // Prepare
    const failing: SecretSource = {
      kind: 'secrets-manager',
      fetch: () => Promise.reject(Object.assign(new Error('AccessDenied'), { name: 'AccessDeniedException' })),
    };

    // Act
    const lines = await requestLines(failing, ['allow']);
    const metrics = lines.flatMap((line) =>
      published(filtersOf('blocking'), line).map((p) => `${p.metric} ${JSON.stringify(p.dimensions)}`),
    );

    // Assess
    expect(metrics).toContain(`${LOG_METRICS.secretFetchFailures} {}`);
    expect(metrics).toContain(`${LOG_METRICS.refusedRequests} {"reason":"secret_unavailable"}`);
    expect(metrics).toContain(`${LOG_METRICS.blockingRequests} {"outcome":"rejected"}`);
  });

  it('count each worker attempt by outcome', async () => {
    // Prepare
    const lines: LogFields[] = [];
    const logger = createJsonLogger({ level: 'debug', sink: (_level, line) => lines.push(JSON.parse(line) as LogFields) });
    let fail = true;
    const process = createQueuedEventProcessor({
      handlers: {
        nonBlocking: new Map([
          [
            'user.created',
            defineNonBlockingHandler('user.created', () => {
              if (fail) throw new Error('CRM down');
            }),
          ],
        ]),
      },
      config: readConfig({}),
      logger,
    });
    const body = sampleBody('user.created');

    // Act
    await process(body, { attempt: 1, maxAttempts: 8, retryInMs: 30_000 });
    fail = false;
    await process(body, { attempt: 2, maxAttempts: 8, retryInMs: 60_000 });
    const outcomes = lines.flatMap((line) => published(filtersOf('worker'), line)).map((p) => p.dimensions.outcome);

    // Assess
    expect(outcomes).toEqual(['retry_scheduled', 'handled']);
  });

  it('publish into one namespace per stack, with no default value (idle periods stay empty)', () => {
    // Act
    const transformations = resourcesOfType(s.json, 'AWS::Logs::MetricFilter').flatMap(
      ([, f]) => f.Properties.MetricTransformations as Record<string, unknown>[],
    );

    // Assess
    expect(transformations.length).toBe(9); // 8 for the dashboard, 1 for the error-policy alarm
    for (const t of transformations) {
      expect(t.MetricNamespace).toBe('AuthgearWebhooks/TestStack');
      expect(t).not.toHaveProperty('DefaultValue');
    }
  });
});

describe('dashboard', () => {
  const s = synthBeforeAll({ blocking: ['user.pre_create.ts'], nonBlocking: ['user.created.ts'] });
  let body: string;
  let widgets: { type: string; properties: { title?: string; markdown?: string; alarms?: unknown[]; annotations?: unknown } }[];

  beforeAll(() => {
    // Prepare
    const [, dashboard] = resourcesOfType(s.json, 'AWS::CloudWatch::Dashboard')[0] ?? [];
    // The body is a Fn::Join of JSON text and references: stand-ins make it parseable.
    const parts = (dashboard?.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    body = parts.map((p) => (typeof p === 'string' ? p : `REF:${JSON.stringify(p).replace(/"/g, "'")}`)).join('');
    widgets = (JSON.parse(body) as { widgets: typeof widgets }).widgets;
  });

  it('is one per stack, named after the stack and its region', () => {
    // Assess
    s.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    s.template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: { 'Fn::Join': ['-', ['TestStack', { Ref: 'AWS::Region' }]] },
    });
  });

  it('graphs outcomes, refusals, latency against the 5 s budget, the queue, dead letters, the worker and the secret', () => {
    // Act
    const titles = widgets.map((w) => w.properties.title).filter(Boolean);

    // Assess
    expect(titles).toEqual([
      'Alarms',
      'Blocking requests by outcome',
      'Non-blocking requests by outcome',
      'Refused requests by reason',
      'Blocking latency (ms)',
      'API answers',
      'Secrets Manager',
      'Event queue depth',
      'Oldest event in the queue (s)',
      'Dead-lettered events',
      'Worker attempts by outcome',
      'Worker errors and throttles',
      'Function errors',
    ]);
    const latency = JSON.stringify(widgets.find((w) => w.properties.title === 'Blocking latency (ms)'));
    expect(latency).toContain('"value":5000');
    expect(latency).toContain('"value":4000');
    expect(latency).toMatch(/"stat":"p50"/);
    expect(latency).toMatch(/"stat":"p99"/);
    expect(body).toContain(`SEARCH('{AuthgearWebhooks/TestStack,outcome} MetricName=\\"${LOG_METRICS.blockingRequests}\\"', 'Sum', 300)`);
    expect(body).toContain(`SEARCH('{AuthgearWebhooks/TestStack,reason} MetricName=\\"${LOG_METRICS.refusedRequests}\\"', 'Sum', 300)`);
    expect(body).toContain(`SEARCH('{AuthgearWebhooks/TestStack,outcome} MetricName=\\"${LOG_METRICS.workerAttempts}\\"', 'Sum', 300)`);
    expect(body).toContain(`REF:{'Fn::GetAtt':['${s.deadLetterQueueId}','QueueName']}`);
  });

  it('shows the state of every alarm of the stack', () => {
    // Act
    const alarmWidget = widgets.find((w) => w.properties.title === 'Alarms');

    // Assess
    expect(alarmWidget?.type).toBe('alarm');
    expect(alarmWidget?.properties.alarms).toHaveLength(Object.keys(ALARM_IDS).length);
    for (const key of Object.keys(ALARM_IDS) as (keyof typeof ALARM_IDS)[]) {
      expect(JSON.stringify(alarmWidget?.properties.alarms)).toContain(`'${s.alarmId(key)}','Arn'`);
    }
  });

  it('is left out, with its metric filters and its output, when dashboard is false', () => {
    // Act
    const without = synthProject({ blocking: ['user.pre_create.ts'] }, { dashboard: false });

    // Assess
    without.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    without.template.resourceCountIs('AWS::Logs::MetricFilter', 1); // the error-policy alarm's
    expect(without.json.Outputs).not.toHaveProperty('DashboardUrl');
  });
});
