/** The names and targets the benchmark's runner and its report share. */

/** What `npm run bench` holds the template to. */
export const TARGETS = { warmOverFloor: 1.5, coldOverFloor: 2 } as const;

export const FLOOR_NAME = 'cold floor (SigV4 by hand)';
export const FLOOR_SQS_NAME = 'cold floor + SQS SendMessage';
export const INIT_STARTS_FETCH = 'init only starts the secret fetch (no top-level await)';
export const WORKER_WITHOUT_TABLE = 'WorkerFunction without the idempotency table (before)';
