/** Attack tests (what they prove: model.ts): replays to the same container. */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createWebhookApp, type WebhookApp } from '../../shared/core/app';
import { readConfig } from '../../shared/core/config';
import { createJsonLogger } from '../../shared/core/logger';
import { staticSecretSource } from '../../shared/core/secret';
import { VECTORS } from '../fixtures/authgear-vectors';
import { goJson } from '../fixtures/go-json';
import { SEED, SECRET, SIGNATURE_HEADER, hmacHex } from './model';
import { allowPreCreate, secretStoreFor, utf8 } from '../support/app-harness';
import { T0_SECONDS } from './bodies';

// Replays to the same container
// ---------------------------------------------------------------------------------------------

/** The container under test: REJECT_REPEATED_BLOCKING_EVENTS on, one blocking handler that allows, the clock `now`. */
function replayGuardedApp(now: () => number): WebhookApp {
  const config = readConfig({ LOG_LEVEL: 'silent', REJECT_REPEATED_BLOCKING_EVENTS: 'true' });
  const logger = createJsonLogger({ level: 'silent' });
  return createWebhookApp({
    handlers: { blocking: new Map([['user.pre_create', allowPreCreate]]) },
    secrets: secretStoreFor(staticSecretSource(SECRET), config, logger),
    config,
    logger,
    now,
  });
}

describe('attack: replays with REJECT_REPEATED_BLOCKING_EVENTS on', () => {
  // The option promises that a blocking event this container already answered is refused when
  // it comes again. Together with the freshness window that means: each signed blocking event is
  // accepted at most once per container, whatever its (fresh) timestamp and whenever the replay
  // comes. Authgear's clock may legitimately run up to MAX_CLOCK_SKEW_SECONDS ahead.
  it('accepts each signed blocking event at most once, for any fresh timestamp and any replay time', async () => {
    // Prepare
    const schedule = fc.record({
      // How far ahead of this machine's clock Authgear stamped each event (seconds), within what is accepted.
      stamps: fc.array(fc.integer({ min: -299, max: 60 }), { minLength: 1, maxLength: 3 }),
      // Small steps, steps around the 300 s age window, and long gaps.
      deliveries: fc.array(
        fc.record({
          event: fc.nat(2),
          advanceMs: fc.oneof(
            fc.integer({ min: 0, max: 10_000 }),
            fc.integer({ min: 240_000, max: 370_000 }),
            fc.integer({ min: 0, max: 400_000 }),
          ),
        }),
        { minLength: 2, maxLength: 8 },
      ),
    });
    const vector = JSON.parse(VECTORS[0]!.body) as { id: string; context: { timestamp: number } };

    // Act
    const run = fc.asyncProperty(schedule, async ({ stamps, deliveries }) => {
      let clock = T0_SECONDS * 1000;
      const app = replayGuardedApp(() => clock);
      const bodies = stamps.map((ahead, i) => {
        const event = structuredClone(vector);
        event.id = `00000000000e0${String(i).padStart(3, '0')}`;
        event.context.timestamp = T0_SECONDS + ahead;
        return utf8(goJson(event));
      });
      const accepted = bodies.map(() => 0);
      const log: string[] = [];
      for (const d of deliveries) {
        clock += d.advanceMs;
        const index = d.event % bodies.length;
        const body = bodies[index]!;
        const response = await app.handle({
          method: 'POST',
          path: '/blocking/user.pre_create',
          headers: { [SIGNATURE_HEADER]: hmacHex(body) },
          body,
        });
        log.push(`t+${(clock - T0_SECONDS * 1000) / 1000}s event ${index} (stamped ${stamps[index]}s ahead) → ${response.status}`);
        if (response.status === 200) accepted[index]! += 1;
      }
      if (accepted.some((n) => n > 1)) throw new Error(`a replay was accepted:\n${log.join('\n')}`);
    });

    // Assess
    await fc.assert(run, { numRuns: 300, seed: SEED });
  });

  it('refuses a replay, 320 s after the first delivery, of an event stamped 59 s ahead (within MAX_CLOCK_SKEW_SECONDS)', async () => {
    // Prepare
    let clock = T0_SECONDS * 1000;
    const app = replayGuardedApp(() => clock);
    const event = JSON.parse(VECTORS[0]!.body) as { context: { timestamp: number } };
    event.context.timestamp = T0_SECONDS + 59;
    const body = utf8(goJson(event));
    const request = { method: 'POST', path: '/blocking/user.pre_create', headers: { [SIGNATURE_HEADER]: hmacHex(body) }, body };

    // Act
    const first = await app.handle(request);
    clock += 10_000;
    const soon = await app.handle(request);
    clock += 310_000; // 320 s after the first delivery; the event is 261 s old, still fresh
    const late = await app.handle(request);

    // Assess
    expect(first.status).toBe(200);
    expect(soon.status).toBe(401);
    expect(late.status).toBe(401);
  });
});
