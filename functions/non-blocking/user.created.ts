/**
 * Runs after a user is created. Replace the log line with your own sync (CRM, database, …).
 * Throwing makes the event retry later (30 s, then doubling up to 15 min, for an hour), then
 * it waits in the dead-letter queue for `npm run redrive`.
 */
import { defineNonBlockingHandler } from '../../shared';

export default defineNonBlockingHandler('user.created', (event, { logger }) => {
  // No personal data (e-mail, names, user id): the line already carries the event id and type.
  // The core's own line adds the user id when LOG_PERSONAL_DATA=true.
  logger.info('new user', {
    identity_types: event.payload.identities.map((identity) => identity.type),
    triggered_by: event.context.triggered_by,
  });
});
