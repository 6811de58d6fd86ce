/**
 * Warm overhead per event: the same signed bytes through three contenders, in one process.
 *
 * - floor: one HMAC-SHA256 over the body and one JSON.parse, the least any verifier must do;
 * - ours: `createWebhookApp(...).handle` with a cached secret and a no-op allow handler, starting
 *   from the body string as API Gateway hands it to Lambda (so the adapter's decode to bytes is
 *   included), with the default freshness check and the per-request log line formatted (written
 *   to a sink that drops it, so terminal I/O is not measured);
 * - peer: `@octokit/webhooks` `verifyAndReceive` with one handler registered. It takes the body as
 *   a string, a `sha256=<hex>` signature and a GitHub event name, so it gets the same bytes and
 *   secret with the signature prefixed and the event name `push`; it verifies, parses and
 *   dispatches, but has no response check, deadline or log line.
 */
import { createHmac } from 'node:crypto';
import { Webhooks } from '@octokit/webhooks';
import { createWebhookApp } from '../../shared/core/app';
import { checkBlockingResponse } from '../../shared/core/responses';
import { readConfig } from '../../shared/core/config';
import type { BlockingEventType } from '../../shared/core/constants';
import { defineBlockingHandler, type BlockingHandler } from '../../shared/core/handler';
import { createJsonLogger } from '../../shared/core/logger';
import { SecretStore, staticSecretSource } from '../../shared/core/secret';
import { BENCH_EVENT_TYPES, BENCH_SECRET, paddedEvent, type BenchEvent } from './bodies';
import { summarise, type Summary } from './stats';

/** One unit of work; resolves (or returns) once the event is fully handled. */
export type Runner = () => unknown;

export type ContenderName = 'floor' | 'ours' | 'peer';

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

/** Our whole warm path through `createWebhookApp(...).handle`, secret cached. */
export async function oursContender(event: BenchEvent, secret = BENCH_SECRET): Promise<Contender> {
  const config = readConfig({});
  const logger = createJsonLogger({ level: config.logLevel, sink: () => undefined });
  const secrets = new SecretStore({ source: staticSecretSource(secret), logger, ttlMs: config.secretCacheTtlMs, refreshIntervalMs: config.secretRefreshIntervalMs });
  await secrets.get(); // cached from here on, as after a cold start
  let calls = 0;
  const blocking = new Map<BlockingEventType, BlockingHandler>(
    BENCH_EVENT_TYPES.map((type) => [type, defineBlockingHandler(type, () => ((calls += 1), { is_allowed: true }))] as [BlockingEventType, BlockingHandler]),
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
  const run = (): Promise<unknown> => app.handle({ method: 'POST', path, headers, body: Buffer.from(event.body, 'utf8') });
  return {
    name: 'ours',
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
      const forged = webhooks.verifyAndReceive({ id: 'x', name: 'push', payload: event.body, signature: `sha256=${hex(event.body, 'wrong')}` });
      if (await forged.then(() => true, () => false)) throw new Error('peer: accepted a forged signature');
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
  readonly peer: Summary;
  readonly oursOverFloor: number;
  readonly oursOverPeer: number;
}

/** Measures every size: contenders interleaved round by round, so drift hits all three alike. */
export async function measureWarm(options: WarmOptions): Promise<WarmResult[]> {
  const results: WarmResult[] = [];
  for (const bytes of options.sizes) {
    const event = paddedEvent(bytes);
    const contenders = [floorContender(event), await oursContender(event), peerContender(event)];
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
    const [floor, ours, peer] = (['floor', 'ours', 'peer'] as const).map((name) => summarise(perEvent.get(name)!)) as [Summary, Summary, Summary];
    results.push({ bytes, eventType: event.type, floor, ours, peer, oursOverFloor: ours.median / floor.median, oursOverPeer: ours.median / peer.median });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Where ours spends its time beyond the floor
// ---------------------------------------------------------------------------------------------

export interface BreakdownItem {
  readonly name: string;
  /** How often `app.handle` does this per request. */
  readonly perRequest: number;
  /** Microseconds for one occurrence. */
  readonly us: Summary;
}

/**
 * Prices, in isolation, the steps `app.handle` takes beyond the floor, for a body of `bytes`:
 * each is a candidate for a cheaper implementation (see BENCHMARKS.md).
 */
export async function measureBreakdown(bytes: number, options: Pick<WarmOptions, 'rounds' | 'batchMs' | 'warmupEvents'>): Promise<BreakdownItem[]> {
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
  const steps: { name: string; perRequest: number; contender: Contender }[] = [
    {
      name: 'body string → bytes → string (Buffer.from in the adapter, TextDecoder in the core)',
      perRequest: 1,
      contender: { name: 'ours', sync: true, run: () => decoder.decode(Buffer.from(event.body, 'utf8')), check: async () => undefined },
    },
    {
      name: 'AbortController for the handler context, aborted when done',
      perRequest: 1,
      contender: {
        name: 'ours',
        sync: true,
        run: () => {
          const controller = new AbortController();
          void controller.signal;
          controller.abort();
        },
        check: async () => undefined,
      },
    },
    {
      name: 'deadline race (setTimeout + Promise.race + clearTimeout) on a settled promise',
      perRequest: 2,
      contender: {
        name: 'ours',
        sync: false,
        run: async () => {
          let timer: ReturnType<typeof setTimeout> | undefined;
          try {
            return await Promise.race([Promise.resolve(1), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('late')), 4000)))]);
          } finally {
            clearTimeout(timer);
          }
        },
        check: async () => undefined,
      },
    },
    {
      name: 'the one log line per request (JSON logger, formatting only)',
      perRequest: 1,
      contender: { name: 'ours', sync: true, run: () => logger.info('blocking event answered', fields), check: async () => undefined },
    },
    {
      name: 'response guard (JSON.stringify + JSON.parse + checkBlockingResponse)',
      perRequest: 1,
      contender: { name: 'ours', sync: true, run: () => checkBlockingResponse(event.type, JSON.parse(JSON.stringify(allow)), parsed), check: async () => undefined },
    },
  ];
  const items: BreakdownItem[] = [];
  for (const step of steps) {
    await batch(step.contender, options.warmupEvents);
    const estimate = await batch(step.contender, Math.max(100, options.warmupEvents >> 2));
    const n = Math.max(50, Math.round((options.batchMs * 1e6) / estimate));
    const samples: number[] = [];
    for (let round = 0; round < options.rounds; round++) samples.push((await batch(step.contender, n)) / 1000);
    items.push({ name: step.name, perRequest: step.perRequest, us: summarise(samples) });
  }
  return items;
}
