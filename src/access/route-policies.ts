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
