import type { Context } from 'hono';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { type AppDeps, createContext } from './context';
import { environmentOf } from './env';
import { type AppEnv, createRouter } from './http/hono';
import { openApiDocument } from './http/openapi-document';
import { errorBody } from './lib/envelope';
import { AppError, type ErrorCode, errorHeaders } from './lib/errors';
import { languageFor, localizeEnvelope } from './lib/i18n';
import { createIds } from './lib/ids';
import { createLogger } from './lib/log';
import { accountDeletionRouter } from './modules/account-deletion/account-deletion.routes';
import { adminRouter } from './modules/admin/admin.routes';
import { bookingRouter } from './modules/appointments/booking.routes';
import { calendarRouter } from './modules/appointments/calendar.routes';
import { lifecycleRouter } from './modules/appointments/lifecycle.routes';
import { recordsRouter } from './modules/appointments/records.routes';
import { auditRouter } from './modules/audit/audit.routes';
import { identityRouter } from './modules/auth';
import { availabilityRouter } from './modules/availability/availability.routes';
import { botRouter } from './modules/bot/bot.routes';
import { callsRouter } from './modules/calls/calls.routes';
import { careProfilesRouter } from './modules/care-profiles/care-profiles.routes';
import { careReportsRouter } from './modules/care-reports/care-reports.routes';
import { careSessionsRouter } from './modules/care-sessions/care-sessions.routes';
import { careNotesRouter } from './modules/caregivers/care-notes.routes';
import { caregiversRouter } from './modules/caregivers/caregivers.routes';
import { supplementsRouter } from './modules/catalog/supplements.routes';
import { vaccinesRouter } from './modules/catalog/vaccines.routes';
import { contentRouter } from './modules/content/content.routes';
import { dashboardsRouter } from './modules/dashboards/dashboards.routes';
import { dependentsRouter } from './modules/dependents/dependents.routes';
import { doctorsRouter } from './modules/doctors/doctors.routes';
import { filesRouter } from './modules/files/files.routes';
import { medicalRecordsRouter } from './modules/medical-records/medical-records.routes';
import { notificationsRouter } from './modules/notifications/notifications.routes';
import { notificationsAdminRouter } from './modules/notifications/notifications-admin.routes';
import { smsStatusRouter } from './modules/notifications/sms-status.routes';
import { paymentsHistoryRouter } from './modules/payments/history.routes';
import { localCheckoutRouter } from './modules/payments/local-checkout.routes';
import { paymentsRouter } from './modules/payments/payments.routes';
import { refundsRouter } from './modules/payments/refunds.routes';
import { prescriptionsRouter } from './modules/prescriptions/prescriptions.routes';
import { reviewsRouter } from './modules/reviews/reviews.routes';
import { scheduleChangesRouter } from './modules/schedule-changes/schedule-changes.routes';
import { dosesRouter } from './modules/schedules/doses.routes';
import { schedulesRouter } from './modules/schedules/schedules.routes';
import { settingsRouter } from './modules/settings/settings.routes';
import { statsRouter } from './modules/stats/stats.routes';
import { superadminRouter } from './modules/superadmin/superadmin.routes';
import { supportRouter } from './modules/support/support.routes';
import { DOCS_CSP, docsPage } from './modules/system/docs-page';
import { docsRoute, HEALTH_PATH, openApiDocumentRoute, systemRouter } from './modules/system/system.routes';
import { devicesRouter } from './modules/users/devices.routes';
import { profileRouter } from './modules/users/profile.routes';
import { usersRouter } from './modules/users/users.routes';
import { vaccinationsRouter } from './modules/vaccinations/vaccinations.routes';
import { voiceRouter } from './modules/voice/voice.routes';
import { waitlistRouter } from './modules/waitlist/waitlist.routes';
import { quizzesRouter } from './modules/wellness/quizzes.routes';
import { wellnessRouter } from './modules/wellness/wellness.routes';
import { enforceRequestCeiling } from './platform/request-ceiling';
import { realtimeRouter } from './realtime/realtime.routes';
import { roomRouter } from './realtime/room.routes';

export const API_PREFIX = '/api/v1';

/** Modules mounted under /api/v1. A new module adds its router here and its policies to the table. */
const modules = [
  identityRouter,
  usersRouter,
  accountDeletionRouter,
  profileRouter,
  devicesRouter,
  dependentsRouter,
  supplementsRouter,
  vaccinesRouter,
  schedulesRouter,
  dosesRouter,
  vaccinationsRouter,
  botRouter,
  doctorsRouter,
  availabilityRouter,
  scheduleChangesRouter,
  bookingRouter,
  lifecycleRouter,
  recordsRouter,
  prescriptionsRouter,
  reviewsRouter,
  supportRouter,
  waitlistRouter,
  callsRouter,
  calendarRouter,
  medicalRecordsRouter,
  careReportsRouter,
  paymentsRouter,
  localCheckoutRouter,
  caregiversRouter,
  careNotesRouter,
  careProfilesRouter,
  careSessionsRouter,
  realtimeRouter,
  roomRouter,
  filesRouter,
  adminRouter,
  notificationsRouter,
  notificationsAdminRouter,
  smsStatusRouter,
  refundsRouter,
  superadminRouter,
  settingsRouter,
  auditRouter,
  paymentsHistoryRouter,
  voiceRouter,
  wellnessRouter,
  quizzesRouter,
  contentRouter,
  statsRouter,
  dashboardsRouter,
];

/** The interactive docs: Swagger UI over the served document, from the Worker's own pinned assets. */
const DOCS_PAGE = docsPage(`${API_PREFIX}/openapi.json`);

function toAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  // drizzle wraps what the DB port throws (a refused session gate) in its own error.
  if (err instanceof Error && err.cause instanceof AppError) return err.cause;
  if (err instanceof HTTPException) {
    const byStatus: Record<number, [ErrorCode, string]> = {
      400: ['INVALID_JSON', 'Request body is not valid JSON'],
      401: ['UNAUTHENTICATED', 'Sign in to continue'],
      413: ['PAYLOAD_TOO_LARGE', 'Request body is too large'],
    };
    const [code, message] = byStatus[err.status] ?? ['BAD_REQUEST', 'Bad request'];
    // hono's form parser also throws 400; only JSON parse failures are INVALID_JSON.
    if (err.status === 400 && !/JSON/i.test(err.message)) return new AppError('BAD_REQUEST', 'Malformed request body');
    return new AppError(code, message);
  }
  return null;
}

/** Sequential D1 round trips the request made (development and test only). */
export const ROUND_TRIPS_HEADER = 'X-D1-Round-Trips';

/** The runtime's waitUntil, when the request came with an execution context (`app.request` in tests may not). */
function waitUntilOf(c: Context<AppEnv>): ((task: Promise<unknown>) => void) | undefined {
  try {
    const execution = c.executionCtx;
    return (task) => execution.waitUntil(task);
  } catch {
    return undefined;
  }
}

function corsOrigins(c: Context<AppEnv>): string[] {
  return (c.env.CORS_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
}

/**
 * Builds the Kinwell API on the runtime parts `deps` brings (the Worker passes `cloudflareDeps`; tests
 * replace the clock, randomness or outbound fetch). Nothing here names a runtime.
 */
export function createApp(deps: AppDeps) {
  const app = createRouter();

  const requestIds = createIds(deps.clock, deps.random);
  app.use(requestId({ generator: () => requestIds.id('req') }));
  app.use(async (c, next) => {
    const ctx = createContext(c.env, deps, {
      requestId: c.get('requestId'),
      ip: deps.clientIp(c.req.raw),
      waitUntil: waitUntilOf(c),
    });
    c.set('ctx', ctx);
    const started = Date.now();
    await next();
    // Outside production the round-trip count is a response header: tests and the bench read it.
    if (environmentOf(c.env) !== 'production') {
      try {
        c.res.headers.set(ROUND_TRIPS_HEADER, String(ctx.meter.roundTrips));
      } catch {
        // A WebSocket upgrade answers with immutable headers; its count is in the log line.
      }
    }
    ctx.log.log(c.res.status >= 500 ? 'error' : 'info', 'request', {
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      durationMs: Date.now() - started,
      d1RoundTrips: ctx.meter.roundTrips,
      actorId: ctx.actor?.id ?? null,
    });
  });
  // Messages in the caller's language (docs/api.md#language): the profile's preferred language (read by
  // the session check, so no round trip of its own), else Accept-Language, else English. The one place
  // the envelope's `message` and `errors[].message` are translated; codes, fields and data never change.
  app.use(async (c, next) => {
    await next();
    const json = (c.res.headers.get('content-type') ?? '').includes('application/json');
    if (!json && c.res.status !== 304) return;
    const language = languageFor(c.get('ctx')?.actor?.language, c.req.header('accept-language'));
    let served = language;
    if (language !== 'en' && json) {
      const body: unknown = await c.res
        .clone()
        .json()
        .catch(() => null);
      const thrown = c.error ? toAppError(c.error) : null;
      if (localizeEnvelope(body, language, thrown?.fields)) {
        c.res = new Response(JSON.stringify(body), c.res);
        c.res.headers.delete('content-length');
      } else served = 'en';
    }
    c.header('Content-Language', served);
    c.header('Vary', 'Accept-Language', { append: true });
  });
  app.use(async (c, next) => {
    const docs = c.req.path === `${API_PREFIX}/docs`;
    return secureHeaders({
      contentSecurityPolicy: docs ? undefined : { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      // Signed avatar URLs are meant for <img> tags of the web app on another origin.
      crossOriginResourcePolicy: c.req.path.startsWith(`${API_PREFIX}/avatars/`) ? 'cross-origin' : 'same-site',
      // A route that serves a page of its own sets that page's policy (the dev outbox view); it wins.
      overwrite: false,
    })(c, async () => {
      await next();
      if (docs) c.header('Content-Security-Policy', DOCS_CSP);
    });
  });
  app.use(
    cors({
      origin: (origin, c) => (corsOrigins(c).includes(origin) ? origin : null),
      allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
      exposeHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit', 'RateLimit-Policy', 'Idempotent-Replayed'],
      maxAge: 600,
    }),
  );
  // The per-address ceiling, before any route: unknown paths count too, and a refused request reaches
  // nothing. After CORS, so a refusal still carries its CORS headers and a preflight is not counted.
  // Health checks are exempt: an uptime monitor or load balancer must see whether the API is up, not
  // the budget of an address it happens to share.
  app.use(async (c, next) => {
    const health = c.req.path === HEALTH_PATH && (c.req.method === 'GET' || c.req.method === 'HEAD');
    if (!health) await enforceRequestCeiling(deps.requestCeiling(c.env), c.get('ctx').ip);
    await next();
  });

  app.route('/', systemRouter);
  for (const module of modules) app.route(API_PREFIX, module);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'Access token from POST /api/v1/auth/login (15 minutes).',
  });
  // Only the app knows every route, so it serves the document (and the page over it) itself.
  app.openapi(openApiDocumentRoute, (c) => c.json(openApiDocument(app), 200));
  app.openapi(docsRoute, (c) => c.html(DOCS_PAGE, 200));

  app.notFound((c) => {
    const err = new AppError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`);
    return c.json(errorBody(err, c.get('requestId')), 404);
  });

  app.onError((err, c) => {
    const known = toAppError(err);
    const requestId = c.get('requestId') ?? 'unknown';
    if (!known) {
      createLogger({ requestId }).log('error', 'unhandled_error', {
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        stack: err instanceof Error ? err.stack : undefined,
      });
    }
    const appError = known ?? new AppError('INTERNAL', 'Something went wrong; quote the request id when reporting it');
    for (const [name, value] of Object.entries(errorHeaders(appError))) c.header(name, value);
    return c.json(errorBody(appError, requestId), appError.status);
  });

  return app;
}

export type KinwellApp = ReturnType<typeof createApp>;
