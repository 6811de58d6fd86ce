/**
 * The test kit for your handlers: typed sample events, Authgear-style signing, and
 * `invokeHandler`, which runs a handler through the same core as production.
 *
 * ```ts
 * import { invokeHandler, sampleEvent } from '../../shared/testing';
 * ```
 */
export * from './devtools/testing';
