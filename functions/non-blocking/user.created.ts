/**
 * Runs after a user is created. Replace the log line with your own sync (CRM, database, …).
 * Throwing makes the event retry later (30 s, then doubling up to 15 min, for an hour), then
 * it waits in the dead-letter queue for `npm run redrive`.
 */
import { defineNonBlockingHandler } from '../../shared';

export default defineNonBlockingHandler('user.created', (event, { logger }) => {
  // Ids only: e-mail addresses and other personal data stay out of logs.
  logger.info('new user', {
    user_id: event.payload.user.id,
    identity_types: event.payload.identities.map((identity) => identity.type),
    triggered_by: event.context.triggered_by,
  });
});
