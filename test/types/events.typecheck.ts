/**
 * Compile-only checks for `shared/core/events.ts` (run by `tsc --noEmit`; the test runner ignores this file).
 *
 * The literal events below follow real Authgear deliveries field for field. Each `@ts-expect-error` marks a shape the
 * types must reject; if the types ever start accepting it, tsc reports the directive as unused and the check fails.
 */
import type { BlockingEventType, NonBlockingEventType } from '../../shared/core/constants';
import type {
  AuthgearEvent,
  BlockingEvent,
  BlockingEventMap,
  BlockingPayloadMap,
  EventContext,
  Identification,
  Identity,
  NonBlockingEvent,
  NonBlockingEventMap,
  NonBlockingPayloadMap,
  Session,
  StandardAttributes,
  UnknownEvent,
  User,
} from '../../shared/core/events';

// --- helpers ---------------------------------------------------------------------------------------------------------

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

// --- shared literal parts --------------------------------------------------------------------------------------------
// Written out in full, not built from other fixtures: only a literal gets the excess-property check
// that fails when a type stops accepting a field Authgear sends.

const USER_ID = '5a2f4e7c-9b1d-4c3e-8f6a-0d2b7e9c1a34';
const CHROME_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36';

const signedUpUser = {
  id: USER_ID,
  created_at: '2026-08-20T09:15:31.482913Z',
  updated_at: '2026-08-20T09:15:31.482913Z',
  is_anonymous: false,
  is_verified: true,
  is_disabled: false,
  is_deactivated: false,
  is_anonymized: false,
  can_reauthenticate: true,
  standard_attributes: { email: 'jane.doe@example.com', email_verified: true, updated_at: 1787217331 },
  custom_attributes: {},
  x_web3: {},
  roles: [],
  groups: [],
} satisfies User;

const loggedInUser = {
  ...signedUpUser,
  updated_at: '2026-08-21T02:40:11.903417Z',
  last_login_at: '2026-08-21T02:40:11.903417Z',
  standard_attributes: { email: 'jane.doe@example.com', email_verified: true, updated_at: 1787280011 },
  roles: ['member'],
} satisfies User;

const emailIdentity = {
  id: 'c7e1b9a4-3d52-4f8e-b6a0-91d4e2f7c815',
  created_at: '2026-08-20T09:15:31.482913Z',
  updated_at: '2026-08-20T09:15:31.482913Z',
  type: 'login_id',
  user_id: USER_ID,
  claims: {
    email: 'jane.doe@example.com',
    'https://authgear.com/claims/login_id/key': 'email',
    'https://authgear.com/claims/login_id/original_value': 'jane.doe@example.com',
    'https://authgear.com/claims/login_id/type': 'email',
    'https://authgear.com/claims/login_id/value': 'jane.doe@example.com',
  },
} satisfies Identity;

const loginContext = {
  timestamp: 1787280011,
  user_id: USER_ID,
  triggered_by: 'user',
  audit_context: { http_url: 'https://myapp.authgear.cloud/login' },
  preferred_languages: ['en-GB', 'en'],
  language: 'en',
  oauth: { state: 'bG9naW4tMTc4NzI4MDAxMQ' },
  ip_address: '81.2.69.160',
  geo_location_code: 'GB',
  user_agent: CHROME_UA,
  app_id: 'myapp',
  client_id: 'a3f91c2b7d4e6058',
  tracking_id: '4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7',
} satisfies EventContext;

// --- accepted: realistic deliveries ----------------------------------------------------------------------------------

export const userPreCreate: BlockingEventMap['user.pre_create'] = {
  id: '000000000000bc55',
  seq: 48213,
  type: 'user.pre_create',
  payload: { user: signedUpUser, identities: [emailIdentity] },
  context: {
    ...loginContext,
    timestamp: 1787217331,
    audit_context: { http_url: 'https://myapp.authgear.cloud/signup' },
    oauth: { state: 'c2lnbnVwLTE3ODcyMTczMzE' },
  },
};

export const preInitialize: BlockingEventMap['authentication.pre_initialize'] = {
  id: '000000000000bc66',
  seq: 48230,
  type: 'authentication.pre_initialize',
  payload: {
    authentication_context: {
      authentication_flow: { type: 'login', name: 'default' },
      user: null,
      asserted_identifications: [],
      asserted_authentications: [],
      amr: [],
    },
  },
  context: {
    ...loginContext,
    timestamp: 1787279990,
    user_id: null,
    tracking_id: '7f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c-3c2b1a0f9e8d7c6b',
  },
};

export const preAuthenticated = {
  id: '000000000000bc67',
  seq: 48231,
  type: 'authentication.pre_authenticated',
  payload: {
    authentication_context: {
      authentication_flow: { type: 'login', name: 'default' },
      user: loggedInUser,
      asserted_identifications: [{ identification: 'email', identity: emailIdentity, id_token: null }],
      asserted_authentications: [
        {
          authentication: 'primary_password',
          authenticator: {
            id: '0f6d2a91-7c3b-4e85-a1d9-5b8e3f2c7a60',
            created_at: '2026-08-20T09:15:31.482913Z',
            updated_at: '2026-08-20T09:15:31.482913Z',
            user_id: USER_ID,
            type: 'password',
            is_default: false,
            kind: 'primary',
          },
        },
      ],
      amr: ['pwd', 'x_primary_password'],
    },
  },
  context: loginContext,
} satisfies BlockingEventMap['authentication.pre_authenticated'];

export const jwtPreCreate: BlockingEventMap['oidc.jwt.pre_create'] = {
  id: '000000000000bc70',
  seq: 48240,
  type: 'oidc.jwt.pre_create',
  payload: {
    user: loggedInUser,
    identities: [emailIdentity],
    jwt: {
      payload: {
        amr: ['pwd', 'x_primary_password'],
        aud: ['https://myapp.authgear.cloud'],
        auth_time: 1787280011,
        client_id: 'a3f91c2b7d4e6058',
        exp: 1787281813,
        'https://authgear.com/claims/user/can_reauthenticate': true,
        'https://authgear.com/claims/user/is_anonymous': false,
        'https://authgear.com/claims/user/is_verified': true,
        'https://authgear.com/claims/user/roles': ['member'],
        iat: 1787280013,
        iss: 'https://myapp.authgear.cloud',
        jti: '8b86bc52a4f21ccd7bca275075222390a8609d7ce94cf8358b25ed7f57b37126',
        scope: 'openid offline_access https://authgear.com/scopes/full-access',
        sub: USER_ID,
      },
    },
  },
  context: {
    ...loginContext,
    timestamp: 1787280013,
    audit_context: { http_url: 'https://myapp.authgear.cloud/oauth2/token' },
    preferred_languages: [],
    user_agent: 'okhttp/4.12.0',
  },
};

/** Go's nil slice: the oidc.* events may carry `identities: null`. */
export const jwtPreCreateWithoutIdentities = {
  ...jwtPreCreate,
  payload: { ...jwtPreCreate.payload, identities: null },
} satisfies BlockingEventMap['oidc.jwt.pre_create'];

const idpSession = {
  id: 'e4b8c2d1-6a3f-4b97-9e05-2c7d1f8a9b36',
  created_at: '2026-08-21T02:40:11.903417Z',
  updated_at: '2026-08-21T02:40:11.903417Z',
  type: 'idp',
  amr: ['pwd', 'x_primary_password'],
  lastAccessedAt: '2026-08-21T02:40:11.903417Z',
  createdByIP: '81.2.69.160',
  lastAccessedByIP: '81.2.69.160',
  lastAccessedByIPCountryCode: 'GB',
  lastAccessedByIPEnglishCountryName: 'United Kingdom',
  clientID: null,
  displayName: 'Chrome 127.0.0',
  userAgent: CHROME_UA,
} satisfies Session;

export const userAuthenticated: NonBlockingEventMap['user.authenticated'] = {
  id: '000000000000bc68',
  seq: 48232,
  type: 'user.authenticated',
  payload: { user: loggedInUser, session: idpSession },
  context: loginContext,
};

/** A type Authgear might add later is still a receivable envelope, and so is every known event. */
export const futureEvent: UnknownEvent = {
  id: '000000000000bc71',
  seq: 48241,
  type: 'user.some_future_event',
  payload: { anything: [1, 2, 3] },
  context: { ...loginContext, user_id: null, geo_location_code: null },
};
export const knownAsUnknown: UnknownEvent[] = [userPreCreate, preInitialize, jwtPreCreate, userAuthenticated];

// --- rejected: wrong shapes ------------------------------------------------------------------------------------------

const { geo_location_code: _geo, ...contextWithoutGeo } = loginContext;
const { user_id: _uid, ...contextWithoutUserId } = loginContext;

// @ts-expect-error geo_location_code is always sent (null when unknown), never omitted
export const missingGeo: EventContext = contextWithoutGeo;

// @ts-expect-error context.user_id is always sent (null when there is no user), never omitted
export const missingUserId: EventContext = contextWithoutUserId;

export const optionalContextKeyAsNull: EventContext = {
  ...loginContext,
  // @ts-expect-error omitted-when-empty keys are never null
  client_id: null,
};

export const timestampAsDate: EventContext = {
  ...loginContext,
  // @ts-expect-error timestamp is a number of seconds, not a date string
  timestamp: '2026-08-21T02:40:11Z',
};

export const snakeCaseSession: Session = {
  id: 'e4b8c2d1-6a3f-4b97-9e05-2c7d1f8a9b36',
  created_at: '2026-08-21T02:40:11.903417Z',
  updated_at: '2026-08-21T02:40:11.903417Z',
  type: 'idp',
  // @ts-expect-error Session keys are camelCase on the wire (lastAccessedAt), unlike every other model
  last_accessed_at: '2026-08-21T02:40:11.903417Z',
};

const { clientID: _clientID, ...sessionWithoutClientId } = idpSession;
// @ts-expect-error clientID is always sent, null when the session has no OAuth client
export const sessionMissingClientId: Session = sessionWithoutClientId;

export const wrongPayload: NonBlockingEventMap['user.created'] = {
  ...userAuthenticated,
  type: 'user.created',
  // @ts-expect-error user.created carries identities, not a session
  payload: { user: loggedInUser, session: idpSession },
};

export const preInitializePayloadOnPreCreate: BlockingEventMap['user.pre_create'] = {
  ...userPreCreate,
  // @ts-expect-error the payload of authentication.pre_initialize does not fit user.pre_create
  payload: preInitialize.payload,
};

export const typeMismatch: BlockingEventMap['user.pre_create'] = {
  ...userPreCreate,
  // @ts-expect-error an envelope's type must match its map key
  type: 'user.created',
};

export const nullIdentitiesOnPreCreate: BlockingEventMap['user.pre_create'] = {
  ...userPreCreate,
  // @ts-expect-error only the oidc.* events may send identities: null
  payload: { user: signedUpUser, identities: null },
};

export const web3NotEmpty: User = {
  ...signedUpUser,
  // @ts-expect-error x_web3 is always the empty object
  x_web3: { accounts: [] },
};

const { updated_at: _updatedAt, ...attrsWithoutUpdatedAt } = signedUpUser.standard_attributes;
// @ts-expect-error standard_attributes.updated_at is always sent
export const attrsMissingUpdatedAt: StandardAttributes = attrsWithoutUpdatedAt;

export const attrsUpdatedAtAsDate: StandardAttributes = {
  email: 'jane.doe@example.com',
  // @ts-expect-error standard_attributes.updated_at is Unix seconds, unlike the RFC 3339 *_at fields
  updated_at: '2026-08-20T09:15:31.482913Z',
};

// @ts-expect-error Identification always sends id_token (null unless identified by an ID token)
export const identificationWithoutIdToken: Identification = { identification: 'email', identity: emailIdentity };

// @ts-expect-error user.created is not a blocking event
export type NotBlocking = BlockingEventMap['user.created'];

// --- narrowing by `type` ---------------------------------------------------------------------------------------------

export function describeEvent(event: AuthgearEvent): string {
  switch (event.type) {
    case 'user.authenticated': {
      const session: Session | null = event.payload.session;
      return `session ${session?.id ?? 'none'} for client ${session?.clientID ?? 'none'}`;
    }
    case 'authentication.pre_initialize': {
      const user: User | null = event.payload.authentication_context.user;
      return `flow ${event.payload.authentication_context.authentication_flow?.type ?? '?'} for ${user?.id ?? 'new user'}`;
    }
    case 'oidc.jwt.pre_create':
      return `jwt for ${String(event.payload.jwt.payload.sub)}, ${event.payload.identities?.length ?? 0} identities`;
    case 'usage.alert.triggered':
      return `${event.payload.usage.name}: ${event.payload.usage.current_value}/${event.payload.usage.quota}`;
    case 'user.created':
      // @ts-expect-error user.created has no session
      return event.payload.session.id;
    default:
      return event.type;
  }
}

export function describeBlocking(event: BlockingEvent): string {
  if (event.type === 'authentication.post_identified') {
    return event.payload.identification.identification;
  }
  // @ts-expect-error after excluding post_identified no payload has `identification`
  return event.payload.identification;
}

// --- the unions and maps line up with the constants ------------------------------------------------------------------

export type Checks = [
  Expect<Equal<BlockingEvent['type'], BlockingEventType>>,
  Expect<Equal<NonBlockingEvent['type'], NonBlockingEventType>>,
  Expect<Equal<AuthgearEvent['type'], BlockingEventType | NonBlockingEventType>>,
  Expect<Equal<Extract<AuthgearEvent, { type: 'user.created' }>['payload'], NonBlockingPayloadMap['user.created']>>,
  Expect<Equal<Extract<AuthgearEvent, { type: 'oidc.id_token.pre_create' }>['payload'], BlockingPayloadMap['oidc.id_token.pre_create']>>,
  Expect<Equal<BlockingPayloadMap['oidc.id_token.pre_create']['identities'], Identity[] | null>>,
  Expect<Equal<EventContext['user_id'], string | null>>,
  Expect<Equal<EventContext['geo_location_code'], string | null>>,
];
