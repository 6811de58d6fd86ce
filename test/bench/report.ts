/**
 * The benchmark's report: one Markdown text with every table, the targets met or missed, and the
 * login-path budget computed from the measurements.
 */
import type { BundleSize, ColdResult } from './cold';
import { FLOOR_NAME, FLOOR_SQS_NAME, INIT_STARTS_FETCH, TARGETS } from './names';
import { formatSummary } from './stats';
import type { BreakdownItem, WarmResult } from './warm';

export interface Target {
  readonly name: string;
  readonly met: boolean;
  readonly measured: string;
}

export interface Budget {
  readonly assumptions: Record<string, number>;
  readonly measured: Record<string, number>;
  readonly worstCaseMs: number;
  readonly warmOnlyMs: number;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [
    line(header),
    `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n');
}

export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const ratio = (x: number): string => `${x.toFixed(2)}×`;

export interface VariantRow {
  readonly name: string;
  readonly what: string;
  readonly codeBytes: number;
  readonly result: ColdResult;
}

export function render(input: {
  readonly warm: readonly WarmResult[];
  readonly breakdown: readonly BreakdownItem[];
  readonly cold: readonly ColdResult[];
  readonly variants: readonly VariantRow[];
  readonly sizes: readonly BundleSize[];
  readonly smCalls: readonly Record<string, unknown>[];
  readonly ttl: { readonly ttlSeconds: number; readonly trafficMs: number; readonly calls: number; readonly ttlWindows: number };
  readonly answers: Record<string, string>;
  /** The floor each deployed function is held to; none for functions off the request path. */
  readonly floors: Record<string, string | undefined>;
  readonly blockingName: string;
  readonly variantsBuiltLikeStack: boolean;
  readonly startedAt: Date;
  readonly synthMs: number;
  /** From `machine()`: cores, CPU model, Node version, platform. */
  readonly machine: Record<string, string | number>;
  /** The load average just before the cold runs. */
  readonly loadAverage: readonly number[];
  readonly warmRounds: number;
  readonly warmBatchMs: number;
  readonly coldRepeats: number;
}): { text: string; targets: Target[]; budget: Budget } {
  const m = input.machine;
  const { warm, breakdown, cold, variants, sizes, smCalls, ttl } = input;
  const floor = cold.find((c) => c.name === FLOOR_NAME)!;
  const floorOf = (name: string): ColdResult => cold.find((c) => c.name === (input.floors[name] ?? FLOOR_NAME)) ?? floor;
  const at4k = warm.find((w) => w.bytes === 4096)!;
  const blockingCold = cold.find((c) => c.name === input.blockingName)!;
  const variant = (prefix: string): ColdResult | undefined => variants.find((v) => v.name.startsWith(prefix))?.result;
  const lazyCold = variant('lazy fetch');
  const startsCold = variant(INIT_STARTS_FETCH);
  const fetchedDuringInit = smCalls
    .filter((s) => s.fetchesSecret)
    .every((s) => typeof s.firstCallBeforeRequestMs === 'number' && s.firstCallBeforeRequestMs > 0);

  const targets: Target[] = [
    {
      name: 'warm overhead ≤ 1.5× the floor at 4 KiB',
      met: at4k.oursOverFloor <= TARGETS.warmOverFloor,
      measured: `${ratio(at4k.oursOverFloor)} (${at4k.ours.median.toFixed(1)} µs vs ${at4k.floor.median.toFixed(1)} µs)`,
    },
    {
      name: 'warm overhead below the peer at 4 KiB',
      met: at4k.oursOverPeer < 1,
      measured:
        `${ratio(at4k.oursOverPeer)} (${at4k.ours.median.toFixed(1)} µs vs ${at4k.peer.median.toFixed(1)} µs); ` +
        `without the log line, which the peer does not write: ${ratio(at4k.oursNoLogOverPeer)} (${at4k.oursNoLog.median.toFixed(1)} µs)`,
    },
    ...cold
      .filter((c) => input.floors[c.name] !== undefined)
      .map((c) => ({
        name: `${c.name}: cold start ≤ 2× ${input.floors[c.name] === FLOOR_NAME ? 'the cold floor' : `the ${input.floors[c.name]!}`}`,
        met: c.total.median <= TARGETS.coldOverFloor * floorOf(c.name).total.median,
        measured: `${ratio(c.total.median / floorOf(c.name).total.median)} (${c.total.median.toFixed(1)} ms vs ${floorOf(c.name).total.median.toFixed(1)} ms)`,
      })),
    ...smCalls
      .filter((s) => s.fetchesSecret)
      .map((s) => ({
        name: `${String(s.name)}: no Secrets Manager call on the warm path`,
        met: s.warmCalls === 0 && s.beforeFirstResponse === 1,
        measured: `${String(s.beforeFirstResponse)} call for the first request, ${String(s.warmCalls)} in ${String(s.warmInvocations)} warm invocations`,
      })),
    {
      name: 'one Secrets Manager call per container per TTL',
      met: ttl.calls <= Math.ceil(ttl.ttlWindows) + 1 && ttl.calls >= Math.floor(ttl.ttlWindows),
      measured: `${ttl.calls} calls in ${(ttl.trafficMs / 1000).toFixed(1)} s of traffic with a ${ttl.ttlSeconds} s TTL (${ttl.ttlWindows.toFixed(1)} TTLs)`,
    },
    {
      name: 'init finishes the secret fetch: the first request finds it cached',
      met:
        fetchedDuringInit &&
        blockingCold.first !== undefined &&
        [startsCold, lazyCold].every((other) => other?.first !== undefined && blockingCold.first!.median < other.first.median),
      measured:
        `first request ${blockingCold.first?.median.toFixed(1)} ms (${startsCold?.first?.median.toFixed(1)} ms if init only starts the fetch, ` +
        `${lazyCold?.first?.median.toFixed(1)} ms if the request starts it); total ${blockingCold.total.median.toFixed(1)} vs ${startsCold?.total.median.toFixed(1)} ms`,
    },
  ];

  // Login path: four blocking hooks on one warm pool, at most the first one cold.
  const assumptions = {
    /** Authgear to the stack's region and back; about 2 ms when both are in the same region. */
    networkRoundTripMs: 30,
    /** A new TLS connection costs two more round trips; Authgear's Go client then keeps it alive. */
    tlsHandshakeRoundTrips: 2,
    apiGatewayOverheadMs: 10,
    lambdaInvokeOverheadMs: 5,
    /** Sandbox, code download and Node.js runtime start before our module loads. */
    lambdaColdPlatformMs: 150,
    /** 512 MB gets 512/1769 of a vCPU: CPU-bound work takes about 3.5× this machine's time. */
    lambdaCpuScale: 3.5,
  };
  const bare = cold.find((c) => c.name.startsWith('node -e 0'))!;
  const warmOursMs = at4k.ours.median / 1000;
  const perHookMs = assumptions.networkRoundTripMs + assumptions.apiGatewayOverheadMs + assumptions.lambdaInvokeOverheadMs;
  const tlsMs = assumptions.tlsHandshakeRoundTrips * assumptions.networkRoundTripMs;
  const ourColdMs = Math.max(0, blockingCold.total.median - bare.total.median) * assumptions.lambdaCpuScale;
  const worstCaseMs = 4 * perHookMs + tlsMs + assumptions.lambdaColdPlatformMs + ourColdMs + 3 * warmOursMs * assumptions.lambdaCpuScale;
  const warmOnlyMs = 4 * perHookMs + tlsMs + 4 * warmOursMs * assumptions.lambdaCpuScale;
  const coldHookMs = perHookMs + tlsMs + assumptions.lambdaColdPlatformMs + ourColdMs;
  const budget: Budget = {
    assumptions,
    measured: { coldStartProxyMs: blockingCold.total.median, bareNodeMs: bare.total.median, warmPerEventMs: warmOursMs },
    worstCaseMs,
    warmOnlyMs,
  };

  const warmRows = warm.map((w) => [
    `${w.bytes / 1024} KiB`,
    w.eventType,
    formatSummary(w.floor, 2),
    formatSummary(w.ours, 2),
    formatSummary(w.oursNoLog, 2),
    formatSummary(w.peer, 2),
    ratio(w.oursOverFloor),
    ratio(w.oursOverPeer),
    ratio(w.oursNoLogOverPeer),
  ]);
  const breakdownRows = breakdown.map((b) => [
    b.name,
    b.perRequest === b.perRequestBefore ? String(b.perRequest) : `${b.perRequest} (was ${b.perRequestBefore})`,
    formatSummary(b.us, 2),
    (b.us.median * b.perRequest).toFixed(2),
    (b.us.median * b.perRequestBefore).toFixed(2),
  ]);
  const coldRow = (name: string, c: ColdResult, answer: string): string[] => [
    name,
    formatSummary(c.total),
    c.load ? formatSummary(c.load) : '',
    c.first ? formatSummary(c.first) : '',
    ratio(c.total.median / floorOf(name).total.median),
    answer,
  ];
  const mainCold = cold.filter((c) => !c.name.startsWith(`${input.blockingName}: `));
  const floorAnswers: Record<string, string> = {
    [FLOOR_NAME]: 'secret read, event verified',
    [FLOOR_SQS_NAME]: 'same, then the body sent to SQS',
  };
  const coldRows = mainCold.map((c) => {
    const note =
      c.name in input.floors && input.floors[c.name] === undefined ? ' (no target: runs from the queue, off the request path)' : '';
    return coldRow(c.name, c, `${input.answers[c.name] ?? floorAnswers[c.name] ?? ''}${note}`);
  });
  const blockingSize = sizes.find((s) => s.name === input.blockingName);
  const variantRows = [
    coldRow('as deployed', blockingCold, blockingSize ? kib(blockingSize.codeBytes) : ''),
    ...variants.map((v) => coldRow(v.name, v.result, kib(v.codeBytes))),
  ];
  const sizeRows = sizes.map((s) => [s.name, kib(s.codeBytes), kib(s.codeGzipBytes), kib(s.mapBytes), kib(s.mapGzipBytes)]);
  const smRows = smCalls.map((s) => [
    String(s.name),
    s.fetchesSecret ? String(s.beforeFirstResponse) : 'reads no secret',
    typeof s.firstCallBeforeRequestMs === 'number'
      ? `${Math.abs(s.firstCallBeforeRequestMs).toFixed(1)} ms ${s.firstCallBeforeRequestMs > 0 ? 'before (during init)' : 'after'}`
      : '',
    `${String(s.warmCalls)} / ${String(s.warmInvocations)}${s.warmFailures ? ` (${String(s.warmFailures)} failed)` : ''}`,
  ]);
  const load = (results: unknown) => (Array.isArray(results) ? (results as number[]).map((x) => x.toFixed(2)).join(' ') : '');

  const text = [
    `# Benchmark, ${input.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${m.nproc} × ${m.cpu}, Node ${m.node} (${m.platform}); load average before the cold runs ${load(input.loadAverage)}. Lambda runs Node 22 on arm64: these are local proxies.`,
    ...((input.loadAverage[0] ?? 0) > Number(m.nproc)
      ? [
          '',
          `**Other work was running (load average ${(input.loadAverage[0] ?? 0).toFixed(1)} on ${m.nproc} cores, about 1 of it this benchmark): expect noisier numbers; run again when the machine is idle.**`,
        ]
      : []),
    '',
    `## Warm overhead per event (µs, median (min–max) of ${input.warmRounds} batches of ~${input.warmBatchMs} ms)`,
    '',
    table(
      [
        'body',
        'event',
        'floor: HMAC + JSON.parse',
        'ours: app.handle',
        'ours, no log line',
        'peer: @octokit/webhooks',
        'ours/floor',
        'ours/peer',
        'no log line/peer',
      ],
      warmRows,
    ),
    '',
    'Where ours spends its time beyond the floor (4 KiB, each step priced alone; "before" is the code before the warm-path changes):',
    '',
    table(['step', 'per request', 'µs each', 'µs per request', 'before'], breakdownRows),
    '',
    `## Cold start proxy (ms from spawn to first response, median (min–max) of ${input.coldRepeats} runs, clean environment)`,
    '',
    table(['process', 'total', 'load + init', 'first request', '× its floor', 'first answer'], coldRows),
    '',
    `Variants of ${input.blockingName} (same entry; esbuild options of the stack${input.variantsBuiltLikeStack ? ', checked byte-identical' : ' NOT reproduced: check stackEsbuildOptions()'}), one change each:`,
    '',
    table(['variant', 'total', 'load + init', 'first request', '× floor', 'code'], variantRows),
    '',
    '## Bundle sizes',
    '',
    table(['function', 'code', 'code gzip', 'source map', 'map gzip'], sizeRows),
    '',
    '## Secrets Manager calls (fake server counter, real bundles)',
    '',
    table(
      ['function', 'calls for the 1st request', 'GetSecretValue arrived, relative to the 1st request', 'calls / warm invocations'],
      smRows,
    ),
    '',
    `TTL: ${ttl.calls} calls in ${(ttl.trafficMs / 1000).toFixed(1)} s of traffic (one request per 10 ms) with SECRET_CACHE_TTL_SECONDS=${ttl.ttlSeconds}.`,
    '',
    '## Targets',
    '',
    table(
      ['target', 'result', 'measured'],
      targets.map((t) => [t.name, t.met ? 'met' : 'MISSED', t.measured]),
    ),
    '',
    '## Login path: four blocking hooks, one warm pool',
    '',
    `Assumed: ${assumptions.networkRoundTripMs} ms round trip Authgear↔region (+${tlsMs} ms TLS on a new connection), ${assumptions.apiGatewayOverheadMs} ms API Gateway, ${assumptions.lambdaInvokeOverheadMs} ms Lambda invoke per hook;`,
    `a cold start adds ${assumptions.lambdaColdPlatformMs} ms of sandbox and runtime start plus our share of the cold proxy (${(blockingCold.total.median - bare.total.median).toFixed(1)} ms beyond bare Node) ×${assumptions.lambdaCpuScale} for 512 MB.`,
    '',
    table(
      ['case', 'added to one login', 'slowest single hook'],
      [
        ['first hook cold, three warm (worst case)', `${worstCaseMs.toFixed(0)} ms`, `${coldHookMs.toFixed(0)} ms`],
        [
          'all four warm, or provisionedConcurrency covers the traffic',
          `${warmOnlyMs.toFixed(0)} ms`,
          `${(perHookMs + tlsMs + warmOursMs * assumptions.lambdaCpuScale).toFixed(0)} ms`,
        ],
      ],
    ),
    '',
    "Authgear allows 5 s per hook; the handlers' own work comes on top.",
  ].join('\n');
  return { text, targets, budget };
}
