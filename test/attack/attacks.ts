/** One whole generated attack, made of the generators of its parts, and a short name for what it mainly tries. */
import fc from 'fast-check';
import { templateArb, type EnvelopeTemplate } from './bodies';
import { ageArb, methodArb, routeArb, type Route } from './delivery';
import { junkHeadersArb } from './headers';
import { lambdaBodyArb, type LambdaBody } from './lambda-events';
import { MAX_AGE_MS, MAX_SKEW_MS } from './model';
import { mutationArb, type Mutation } from './mutations';
import { signatureArb, type SignatureMode } from './signatures';

export interface Attack {
  readonly transport: 'core' | 'lambda';
  readonly template: EnvelopeTemplate;
  readonly mutations: readonly Mutation[];
  readonly signature: SignatureMode;
  /** Header name casing: bit i upper-cases character i. */
  readonly casing: number;
  readonly method: string;
  readonly route: Route;
  /** Age of the event at delivery in ms (negative: stamped in the future). */
  readonly ageMs: number;
  readonly lambdaBody: LambdaBody;
  readonly junkHeaders: readonly (readonly [string, string])[];
}

export const attackArb: fc.Arbitrary<Attack> = fc.record({
  transport: fc.oneof({ weight: 7, arbitrary: fc.constant('core' as const) }, { weight: 3, arbitrary: fc.constant('lambda' as const) }),
  template: templateArb,
  mutations: fc.oneof(
    { weight: 6, arbitrary: fc.constant([]) },
    { weight: 4, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 3 }) },
  ),
  signature: signatureArb,
  casing: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat() }),
  method: methodArb,
  route: routeArb,
  ageMs: ageArb,
  lambdaBody: lambdaBodyArb,
  junkHeaders: junkHeadersArb,
});

/** A short name for what an attack mainly tries, for the printed counts. */
export function categoryOf(a: Attack): string {
  if (a.route.to === 'unknown') return 'unknown path';
  if (a.method !== 'POST') return 'non-POST method';
  if (a.template.kind === 'oversized') return a.template.flagOnly ? 'oversized (adapter flag)' : 'oversized body';
  if (a.transport === 'lambda' && a.lambdaBody !== 'truthful' && a.lambdaBody !== 'base64') return `lambda: ${a.lambdaBody}`;
  if (a.signature.mode !== 'good' && a.signature.mode !== 'of the unmutated body') return `signature: ${a.signature.mode}`;
  if (a.mutations.length > 0) return a.signature.mode === 'good' ? 'mutated body, re-signed' : 'mutated body, original signature';
  if (a.template.kind === 'raw') return `signed ${a.template.name}`;
  if (a.template.kind !== 'vector' && a.template.kind !== 'tricky' && a.template.kind !== 'generated') return `signed ${a.template.kind}`;
  if (a.ageMs > MAX_AGE_MS) return 'stale timestamp';
  if (a.ageMs < -MAX_SKEW_MS) return 'future timestamp';
  if (a.route.to !== 'own') return 'route/type mismatch';
  return a.template.kind === 'generated' ? 'generated event' : 'signed vector';
}
