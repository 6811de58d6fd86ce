/**
 * Warm overhead per event: the same signed bytes through four contenders, in one process.
 *
 * - floor: one HMAC-SHA256 over the body and one JSON.parse, the least any verifier must do;
 * - ours: `createWebhookApp(...).handle` with a cached secret and a no-op allow handler, starting
 *   from the body string as API Gateway hands it to Lambda, through the Lambda adapter's body step
 *   (`lambdaRequestBody`), with the default freshness check and the per-request log line formatted
 *   (written to a sink that drops it, so terminal I/O is not measured);
 * - ours without the log line: the same with the logger at `silent`, so the line's fields are
 *   collected but not formatted (the peer writes no line);
 * - peer: `@octokit/webhooks` `verifyAndReceive` with one handler registered. It takes the body as
 *   a string, a `sha256=<hex>` signature and a GitHub event name, so it gets the same bytes and
 *   secret with the signature prefixed and the event name `push`; it verifies, parses and
 *   dispatches, but has no response check, deadline or log line.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhooks } from '@octokit/webhooks';
import { lambdaRequestBody } from '../../shared/adapters/lambda-body';
import { createWebhookApp } from '../../shared/core/app';
import { checkBlockingResponse } from '../../shared/core/response-check';
import { readConfig } from '../../shared/core/config';
import type { BlockingEventType } from '../../shared/core/constants';
import { defineBlockingHandler, type BlockingHandler } from '../../shared/core/handler';
import { bodyText, isLongerThan, wellFormed } from '../../shared/core/body';
import { createJsonLogger } from '../../shared/core/logger';
import { runHandler } from '../../shared/core/run-handler';
import { checkSignatureFormat, readHeader } from '../../shared/core/verify';
import { SecretStore, staticSecretSource } from '../../shared/core/secret';
import { BENCH_EVENT_TYPES, BENCH_SECRET, paddedEvent, type BenchEvent } from './bodies';
import { summarise, type Summary } from './stats';

/** One unit of work; resolves (or returns) once the event is fully handled. */
export type Runner = () => unknown;

export type ContenderName = 'floor' | 'ours' | 'oursNoLog' | 'peer';

export interface Contender {
  readonly name: ContenderName;
  readonly sync: boolean;
  readonly run: Runner;
  /** Runs once and throws unless the contender accepted the event (signature valid, handler called). */
  check(): Promise<void>;
}

const hex = (body: string, secret: string): string => createHmac('sha256', secret).update(body, 'utf8').digest('hex');

/** The physical floor: one HMAC-SHA256 over the body plus one JSON.parse. */
export function floorContender(event: BenchEvent, secret = BENCH_SECRET): Contender {
  const run = (): unknown => {
    createHmac('sha256', secret).update(event.body, 'utf8').digest();
    return JSON.parse(event.body);
  };
  return {
    name: 'floor',
    sync: true,
    run,
    async check() {
      const parsed = run() as { type?: unknown };
      if (parsed.type !== event.type) throw new Error('floor: parsed the wrong event');
    },
  };
}

/**
 * Our whole warm path through `createWebhookApp(...).handle`, secret cached. With `logLine: false`
 * the logger's level is `silent`: the app still collects the line's fields, but nothing formats
 * them, which prices the one thing the peer has no counterpart for.
 */
export async function oursContender(event: BenchEvent, secret = BENCH_SECRET, logLine = true): Promise<Contender> {
  const config = readConfig({});
  const logger = createJsonLogger({ level: logLine ? config.logLevel : 'silent', sink: () => undefined });
  const secrets = new SecretStore({
    source: staticSecretSource(secret),
    logger,
    ttlMs: config.secretCacheTtlMs,
    refreshIntervalMs: config.secretRefreshIntervalMs,
  });
  await secrets.get(); // cached from here on, as after a cold start
  let calls = 0;
  const blocking = new Map<BlockingEventType, BlockingHandler>(
    BENCH_EVENT_TYPES.map(
      (type) => [type, defineBlockingHandler(type, () => ((calls += 1), { is_allowed: true }))] as [BlockingEventType, BlockingHandler],
    ),
  );
  const app = createWebhookApp({ handlers: { blocking }, secrets, config, logger });
  const path = `/blocking/${event.type}`;
  // What API Gateway passes on from Authgear's request.
  const headers = {
    'content-length': String(Buffer.byteLength(event.body, 'utf8')),
    'content-type': 'application/json',
    host: 'abc123defg.execute-api.eu-west-1.amazonaws.com',
    'user-agent': 'Go-http-client/2.0',
    'x-amzn-trace-id': 'Root=1-67a0c0de-0123456789abcdef01234567',
    'x-authgear-body-signature': hex(event.body, secret),
    'x-forwarded-for': '203.0.113.10',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
  };
  const run = (): Promise<unknown> =>
    app.handle({ method: 'POST', path, headers, body: lambdaRequestBody({ body: event.body, isBase64Encoded: false }) });
  return {
    name: logLine ? 'ours' : 'oursNoLog',
    sync: false,
    run,
    async check() {
      const before = calls;
      const response = (await run()) as { status: number; body: string };
      if (response.status !== 200 || response.body !== '{"is_allowed":true}' || calls !== before + 1) {
        throw new Error(`ours: expected an allow from the handler, got ${response.status} ${response.body}`);
      }
    },
  };
}

/** `@octokit/webhooks` verify-and-receive on the same bytes and secret. */
export function peerContender(event: BenchEvent, secret = BENCH_SECRET): Contender {
  const webhooks = new Webhooks({ secret });
  let calls = 0;
  webhooks.on('push', () => {
    calls += 1;
  });
  const signature = `sha256=${hex(event.body, secret)}`;
  const run = (): Promise<unknown> => webhooks.verifyAndReceive({ id: 'bench-delivery', name: 'push', payload: event.body, signature });
  return {
    name: 'peer',
    sync: false,
    run,
    async check() {
      const before = calls;
      await run();
      if (calls !== before + 1) throw new Error('peer: the handler was not called');
      // And it does refuse a wrong signature, so it really verifies.
      const forged = webhooks.verifyAndReceive({
        id: 'x',
        name: 'push',
        payload: event.body,
        signature: `sha256=${hex(event.body, 'wrong')}`,
      });
      if (
        await forged.then(
          () => true,
          () => false,
        )
      )
        throw new Error('peer: accepted a forged signature');
    },
  };
}

/** Runs `n` events back to back and returns the nanoseconds per event. */
async function batch(contender: Contender, n: number): Promise<number> {
  const { run } = contender;
  const started = process.hrtime.bigint();
  if (contender.sync) {
    for (let i = 0; i < n; i++) run();
  } else {
    for (let i = 0; i < n; i++) await run();
  }
  return Number(process.hrtime.bigint() - started) / n;
}

export interface WarmOptions {
  readonly sizes: readonly number[];
  /** Measured batches per contender and size (medians are over these). */
  readonly rounds: number;
  /** Target duration of one batch. */
  readonly batchMs: number;
  /** Events run before measuring, per contender and size. */
  readonly warmupEvents: number;
}

export interface WarmResult {
  readonly bytes: number;
  readonly eventType: string;
  /** Microseconds per event. */
  readonly floor: Summary;
  readonly ours: Summary;
  /** Ours with the log line's formatting off (level `silent`). */
  readonly oursNoLog: Summary;
  readonly peer: Summary;
  readonly oursOverFloor: number;
  readonly oursOverPeer: number;
  readonly oursNoLogOverPeer: number;
}

/** Measures every size: contenders interleaved round by round, so drift hits all of them alike. */
export async function measureWarm(options: WarmOptions): Promise<WarmResult[]> {
  const results: WarmResult[] = [];
  for (const bytes of options.sizes) {
    const event = paddedEvent(bytes);
    const contenders = [
      floorContender(event),
      await oursContender(event),
      await oursContender(event, BENCH_SECRET, false),
      peerContender(event),
    ];
    const perEvent = new Map<ContenderName, number[]>(contenders.map((c) => [c.name, []]));
    const sizes = new Map<ContenderName, number>();
    for (const contender of contenders) {
      await contender.check();
      await batch(contender, options.warmupEvents);
      const estimate = await batch(contender, Math.max(100, options.warmupEvents >> 2));
      sizes.set(contender.name, Math.max(50, Math.round((options.batchMs * 1e6) / estimate)));
    }
    for (let round = 0; round < options.rounds; round++) {
      // Rotate the order so no contender always runs right after another one's garbage.
      for (let i = 0; i < contenders.length; i++) {
        const contender = contenders[(round + i) % contenders.length]!;
        perEvent.get(contender.name)!.push((await batch(contender, sizes.get(contender.name)!)) / 1000);
      }
    }
    for (const contender of contenders) await contender.check();
    const [floor, ours, oursNoLog, peer] = (['floor', 'ours', 'oursNoLog', 'peer'] as const).map((name) =>
      summarise(perEvent.get(name)!),
    ) as [Summary, Summary, Summary, Summary];
    results.push({
      bytes,
      eventType: event.type,
      floor,
      ours,
      oursNoLog,
      peer,
      oursOverFloor: ours.median / floor.median,
      oursOverPeer: ours.median / peer.median,
      oursNoLogOverPeer: oursNoLog.median / peer.median,
    });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Where ours spends its time beyond the floor
// ---------------------------------------------------------------------------------------------

export interface BreakdownItem {
  readonly name: string;
  /** How often `app.handle` does this per request now. */
  readonly perRequest: number;
  /** How often it did before the warm-path changes (see CHANGELOG.md). */
  readonly perRequestBefore: number;
  /** Microseconds for one occurrence. */
  readonly us: Summary;
}

const step = (run: Runner, sync = true): Contender => ({ name: 'ours', sync, run, check: async () => undefined });

/**
 * Prices, in isolation, the steps `app.handle` takes beyond the floor for a body of `bytes`, and
 * the steps the warm-path changes took off it (per request now 0), so that the table shows where
 * the time went before and where it goes now.
 */
export async function measureBreakdown(
  bytes: number,
  options: Pick<WarmOptions, 'rounds' | 'batchMs' | 'warmupEvents'>,
): Promise<BreakdownItem[]> {
  const event = paddedEvent(bytes);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const logger = createJsonLogger({ level: 'info', sink: () => undefined });
  const fields = {
    method: 'POST',
    path: `/blocking/${event.type}`,
    route: event.type,
    event_id: '000000000000bc67',
    event_type: event.type,
    handler_ms: 0,
    status: 200,
    outcome: 'allowed',
    latency_ms: 0,
  };
  const parsed = JSON.parse(event.body) as Parameters<typeof checkBlockingResponse>[2];
  const allow = { is_allowed: true };
  const signature = hex(event.body, BENCH_SECRET);
  const headers = {
    'content-type': 'application/json',
    host: 'abc123defg.execute-api.eu-west-1.amazonaws.com',
    'x-authgear-body-signature': signature,
    'x-forwarded-proto': 'https',
  };
  const digest = Buffer.from(signature, 'hex');
  const runOptions = { logger, now: Date.now };
  const bigintReplacer = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);
  const steps: { name: string; perRequest: number; perRequestBefore: number; contender: Contender }[] = [
    {
      name: 'the one log line per request (JSON logger, formatting only)',
      perRequest: 1,
      perRequestBefore: 1,
      contender: step(() => logger.info('blocking event answered', fields)),
    },
    {
      name: 'handler call (runHandler: context with lazy logger and signal, sync answer, no timer)',
      perRequest: 1,
      perRequestBefore: 0,
      contender: step(() => runHandler(() => allow, Date.now() + 4_000, {}, runOptions)),
    },
    {
      name: 'response guard (JSON.stringify; the plain allow needs no parse and check)',
      perRequest: 1,
      perRequestBefore: 0,
      contender: step(() => JSON.stringify(allow) === '{"is_allowed":true}'),
    },
    {
      name: 'signature header (find it, check its form, hex-decode, timingSafeEqual)',
      perRequest: 1,
      perRequestBefore: 1,
      contender: step(() => {
        const header = readHeader(headers, 'x-authgear-body-signature');
        return checkSignatureFormat(header.value) === 'valid' && timingSafeEqual(Buffer.from(header.value as string, 'hex'), digest);
      }),
    },
    {
      name: 'body checks on the string (size, well-formed UTF-16, byte-order mark)',
      perRequest: 1,
      perRequestBefore: 0,
      contender: step(() => !isLongerThan(event.body, 1024 * 1024) && bodyText(wellFormed(event.body))),
    },
    {
      name: 'before: body string → bytes → string (Buffer.from in the adapter, TextDecoder in the core)',
      perRequest: 0,
      perRequestBefore: 1,
      contender: step(() => decoder.decode(Buffer.from(event.body, 'utf8'))),
    },
    {
      name: 'before: AbortController for the handler context, aborted when done',
      perRequest: 0,
      perRequestBefore: 1,
      contender: step(() => {
        const controller = new AbortController();
        void controller.signal;
        controller.abort();
      }),
    },
    {
      name: 'before: deadline race (setTimeout + Promise.race + clearTimeout) on a settled promise',
      perRequest: 0,
      perRequestBefore: 2,
      contender: step(async () => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        try {
          return await Promise.race([
            Promise.resolve(1),
            new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('late')), 4000))),
          ]);
        } finally {
          clearTimeout(timer);
        }
      }, false),
    },
    {
      name: 'before: the log line with toISOString and the BigInt replacer',
      perRequest: 0,
      perRequestBefore: 1,
      contender: step(() =>
        JSON.stringify({ level: 'info', time: new Date().toISOString(), msg: 'blocking event answered', ...fields }, bigintReplacer),
      ),
    },
    {
      name: 'before: response guard (JSON.stringify + JSON.parse + checkBlockingResponse)',
      perRequest: 0,
      perRequestBefore: 1,
      contender: step(() => checkBlockingResponse(event.type, JSON.parse(JSON.stringify(allow)), parsed)),
    },
  ];
  const items: BreakdownItem[] = [];
  for (const { name, perRequest, perRequestBefore, contender } of steps) {
    await batch(contender, options.warmupEvents);
    const estimate = await batch(contender, Math.max(100, options.warmupEvents >> 2));
    const n = Math.max(50, Math.round((options.batchMs * 1e6) / estimate));
    const samples: number[] = [];
    for (let round = 0; round < options.rounds; round++) samples.push((await batch(contender, n)) / 1000);
    items.push({ name, perRequest, perRequestBefore, us: summarise(samples) });
  }
  return items;
}
