/**
 * Blocks sign-ups from e-mail domains listed in DENIED_EMAIL_DOMAINS (comma-separated,
 * e.g. "mailinator.com,guerrillamail.com"). With the variable unset, everyone may sign up,
 * so this file is safe to deploy as is.
 */
import { defineBlockingHandler } from '../../shared';

const deniedDomains = new Set(
  (process.env.DENIED_EMAIL_DOMAINS ?? '')
    .split(',')
    .map((domain) => domain.trim().toLowerCase())
    .filter(Boolean),
);

export default defineBlockingHandler(
  'user.pre_create',
  (event) => {
    const email = event.payload.user.standard_attributes.email;
    const domain = email?.slice(email.lastIndexOf('@') + 1).toLowerCase();
    if (domain && deniedDomains.has(domain)) {
      return { is_allowed: false, title: 'Sign-up not allowed', reason: 'Please sign up with a different e-mail address.' };
    }
    return { is_allowed: true };
  },
  // Fail closed: if this handler ever breaks, refuse the sign-up rather than let a blocked domain in.
  { onError: 'deny' },
);
