/** Building the event `npm run send` delivers: a sample, a file, and the `--set` edits. */
import { readFileSync } from 'node:fs';
import type { EventType } from '../../core/constants';
import { goJson } from '../go-json';
import { eventId, sampleEvent, type SampleOptions } from '../samples';
import { parseAssignment, applyAssignment } from './assignments';
import { SendError } from './send-error';
import { requireEventType } from './targets';

// ---------------------------------------------------------------------------------------------------------------------
// Building the event
// ---------------------------------------------------------------------------------------------------------------------

/** What to send: a sample or a payload file, with edits. */
export interface BuildOptions {
  /** Needed unless the payload file is a full event. */
  readonly type?: string;
  /** A JSON file with a full event (`type`, `payload`, `context`) or just a payload object. */
  readonly payloadFile?: string;
  /** `--set` arguments, applied in order. */
  readonly sets?: readonly string[];
  readonly sample?: SampleOptions;
  /** Clock for a full event's refreshed `context.timestamp`, replaceable in tests. */
  readonly now?: () => number;
}

/** An event ready to sign: the object and its exact bytes. */
export interface BuiltEvent {
  readonly type: EventType;
  readonly event: Record<string, unknown>;
  readonly body: string;
  /** Things worth telling the user, e.g. that a full event's timestamp was refreshed. */
  readonly notes: readonly string[];
}

/**
 * Builds the event to send. A payload file holding a full event is sent as it is, except that
 * `context.timestamp` is set to now (receivers refuse events older than a few minutes; a `--set
 * context.timestamp=…` still wins). A payload file holding only a payload object replaces the
 * sample's payload. `--set` edits come last; setting `seq` also sets `id`, as Authgear derives it.
 *
 * @throws SendError for an unknown type, an unreadable file or a bad `--set`.
 * @example
 * ```ts
 * const { body } = buildEvent({ type: 'user.pre_create', sets: ['payload.user.standard_attributes.email=x@mailinator.com'] });
 * ```
 */
export function buildEvent(options: BuildOptions): BuiltEvent {
  const notes: string[] = [];
  const assignments = (options.sets ?? []).map(parseAssignment);
  let type = options.type === undefined ? undefined : requireEventType(options.type);
  let event: Record<string, unknown>;

  if (options.payloadFile === undefined) {
    if (type === undefined) throw new SendError('name the event type to send, e.g. npm run send -- user.pre_create (or --all)');
    event = sampleEvent(type, options.sample) as unknown as Record<string, unknown>;
  } else {
    const content = readJsonFile(options.payloadFile);
    if (isFullEvent(content)) {
      const fileType = String(content.type);
      if (type !== undefined && fileType !== type) {
        throw new SendError(`${options.payloadFile} holds a ${fileType} event, not ${type}; drop the event type or use a matching file`);
      }
      type ??= requireEventType(fileType);
      event = content;
      const context = content.context as Record<string, unknown>;
      context.timestamp = Math.floor((options.now ?? Date.now)() / 1000);
      notes.push(`context.timestamp of ${options.payloadFile} set to now, so the receiver does not refuse it as stale`);
    } else {
      if (type === undefined)
        throw new SendError(
          `${options.payloadFile} holds a payload only; name its event type, e.g. npm run send -- user.created --payload ${options.payloadFile}`,
        );
      event = sampleEvent(type, options.sample) as unknown as Record<string, unknown>;
      event.payload = content;
    }
  }

  for (const assignment of assignments) applyAssignment(event, assignment);
  const setsSeq = assignments.some((a) => a.path.length === 1 && a.path[0] === 'seq');
  const setsId = assignments.some((a) => a.path.length === 1 && a.path[0] === 'id');
  if (setsSeq && !setsId && typeof event.seq === 'number' && Number.isSafeInteger(event.seq) && event.seq >= 0)
    event.id = eventId(event.seq);

  let body: string;
  try {
    body = goJson(event);
  } catch (error) {
    throw new SendError(`the event cannot be sent as JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { type, event, body, notes };
}

export function readJsonFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a folder'
          : code === 'EACCES'
            ? 'permission denied'
            : (error as Error).message;
    throw new SendError(`cannot read payload file ${path}: ${why}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new SendError(`payload file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SendError(`payload file ${path} must hold a JSON object: a full event or a payload`);
  }
  return value as Record<string, unknown>;
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
export const isFullEvent = (value: Record<string, unknown>): boolean =>
  typeof value.type === 'string' && isObject(value.payload) && isObject(value.context);
