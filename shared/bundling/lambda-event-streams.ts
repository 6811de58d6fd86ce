/**
 * Stands in for `@smithy/core/event-streams` in the deployed bundles.
 *
 * The SDK loads event-stream support with a dynamic import, only for operations that stream
 * events (Bedrock, Transcribe, S3 Select, …). No Secrets Manager or SQS operation does, yet the
 * bundler must still include the module: 19 KiB of each bundle and 3–5 ms of every cold start
 * (docs/performance.md; CHANGELOG.md, bundling round). The stack's bundling aliases the module to this one; should an operation ever
 * need it, the call fails with this message instead of doing something else.
 */

const notBundled = (): never => {
  throw new Error(
    'SDK event streams are not bundled into the Lambda functions (shared/bundling/lambda-event-streams.ts); remove the alias in the stack bundling to use an operation that streams events',
  );
};

/** Never constructed: it throws, naming the alias to remove. */
export class EventStreamSerde {
  constructor() {
    notBundled();
  }
}

export const eventStreamSerdeProvider = notBundled;
