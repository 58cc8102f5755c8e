import { PUBLIC, type RoutePolicy, roles, signedIn } from './policy';

/**
 * The one policy table: every route's operationId → who may call it. A route whose operationId is
 * missing here does not compile (`defineRoute` takes `OperationId`), and test/access/route-walk.test.ts
 * walks the OpenAPI registry to prove every route has an entry and refuses anonymous callers.
 */
export const ROUTE_POLICIES = {
  // system
  'system.health': PUBLIC,
  'dev.outbox.list': PUBLIC,

  // auth: sign-in (public) and account security (signed in, also while awaiting verification)
  'auth.register': PUBLIC,
  'auth.verifyEmail': PUBLIC,
  'auth.verifyEmail.resend': PUBLIC,
  'auth.login': PUBLIC,
  'auth.otp.send': PUBLIC,
  'auth.otp.verify': PUBLIC,
  'auth.google': PUBLIC,
  'auth.refresh': PUBLIC,
  'auth.logout': signedIn({ allowPending: true }),
  'auth.logoutAll': signedIn({ allowPending: true }),
  'auth.password.forgot': PUBLIC,
  'auth.password.reset': PUBLIC,
  'auth.password.change': signedIn({ allowPending: true }),
  'auth.password.set': signedIn({ allowPending: true }),
  'auth.sessions.list': signedIn({ allowPending: true }),
  'auth.sessions.revoke': signedIn({ allowPending: true }),
  'auth.2fa.status': signedIn({ allowPending: true }),
  'auth.2fa.verify': PUBLIC,
  'auth.2fa.email.send': PUBLIC,
  'auth.2fa.passkey.options': PUBLIC,
  'auth.2fa.totp.setup': signedIn({ allowPending: true }),
  'auth.2fa.totp.enable': signedIn({ allowPending: true }),
  'auth.2fa.email.setup': signedIn({ allowPending: true }),
  'auth.2fa.email.enable': signedIn({ allowPending: true }),
  'auth.2fa.passkey.enable': signedIn({ allowPending: true }),
  'auth.2fa.disable': signedIn({ allowPending: true }),
  'auth.2fa.recoveryCodes': signedIn({ allowPending: true }),
  'auth.passkeys.register.options': signedIn({ allowPending: true }),
  'auth.passkeys.register.verify': signedIn({ allowPending: true }),
  'auth.passkeys.authenticate.options': PUBLIC,
  'auth.passkeys.authenticate.verify': PUBLIC,
  'auth.passkeys.list': signedIn({ allowPending: true }),
  'auth.passkeys.delete': signedIn({ allowPending: true }),

  // users
  'users.me.get': signedIn({ allowPending: true }),

  // files
  'files.upload': signedIn({ allowPending: true }),
  'files.list': signedIn({ allowPending: true }),
  'files.get': signedIn({ allowPending: true }),
  'files.content': signedIn({ allowPending: true }),
  'files.delete': signedIn({ allowPending: true }),

  // audit
  'audit.events.list': roles('superadmin'),
} as const satisfies Record<string, RoutePolicy>;

export type OperationId = keyof typeof ROUTE_POLICIES;
