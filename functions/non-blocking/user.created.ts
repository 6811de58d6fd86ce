/**
 * Runs after a user is created. Replace the log line with your own sync (CRM, database, …).
 * Throwing makes the delivery fail with a 5xx and an error log.
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
