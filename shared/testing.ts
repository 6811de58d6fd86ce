/**
 * The test kit for your handlers: typed sample events, Authgear-style signing, and
 * `invokeHandler`, which runs a handler through the same core as production. A test beside a
 * handler file imports it from two folders up, as `functions/blocking/user.pre_create.test.ts`
 * does.
 */
export * from './devtools/testing';
