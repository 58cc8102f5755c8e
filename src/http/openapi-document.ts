import type { OpenAPIHono } from '@hono/zod-openapi';

/**
 * The top of the OpenAPI document (served at /api/v1/openapi.json): who answers for the API, and every
 * tag a route may use, each with a description. A route's tag that is missing here is an undeclared
 * tag, which the contract tests refuse (Spectral `operation-tag-defined`), and so is a tag here that no
 * route uses.
 */

/** Every tag of the document, in the order a reader meets them. */
export const API_TAGS = [
  { name: 'System', description: 'Liveness and database reachability, for load balancers and uptime checks.' },
  {
    name: 'Development',
    description: 'Helpers that exist only in development (they answer 404 in any other environment).',
  },
  {
    name: 'Auth',
    description:
      'Accounts and sign-in: registration, email verification, password and one-time-code sign-in, Google, ' +
      'token refresh, passwords and the signed-in sessions (devices) of an account.',
  },
  {
    name: 'Auth: two-factor',
    description: 'Second factors (authenticator app, email codes), recovery codes, and finishing a two-factor sign-in.',
  },
  {
    name: 'Auth: passkeys',
    description: 'WebAuthn passkeys: registering them, signing in with them, and using them as a second factor.',
  },
  {
    name: 'Users',
    description: 'The signed-in account: its profile, email and mobile number changes, and account deletion.',
  },
  { name: 'Emergency contacts', description: 'The people to call in an emergency, kept on the account (at most 10).' },
  { name: 'Avatars', description: 'Profile pictures and the signed links that serve them.' },
  { name: 'Devices', description: 'Push-notification devices (FCM tokens) of the signed-in account.' },
  { name: 'Notification preferences', description: 'Which notifications the account gets on which channel.' },
  { name: 'Dependents', description: 'People the account cares for directly (children, elders) and schedules for.' },
  { name: 'Supplements', description: 'The supplement catalog, its stock ledger and its CSV/JSON import.' },
  { name: 'Vaccines', description: 'The vaccine catalog, its stock ledger and its CSV/JSON import.' },
  { name: 'Schedules', description: 'Supplement and medicine schedules, and pausing or resuming them.' },
  { name: 'Doses', description: 'The doses a schedule generates: what is due, what was taken or skipped, adherence.' },
  {
    name: 'Vaccinations',
    description: 'Vaccine doses and series planned for the account or its dependents, and recording them given.',
  },
  { name: 'Specializations', description: 'The taxonomy of medical specializations doctors are listed under.' },
  { name: 'Doctors', description: 'The doctor directory, public profiles, and the services each doctor offers.' },
  {
    name: 'Doctor availability',
    description: 'Booking rules, weekly hours, time off, emergency unavailability, and the free slots they leave.',
  },
  {
    name: 'Appointments',
    description: 'Holding a slot, booking, rescheduling, follow-ups, the appointment lifecycle and refunds.',
  },
  {
    name: 'Waitlist',
    description:
      'Waiting for a cancelled slot: patients join a doctor’s waitlist for a date range; freed time is offered first come first served as a short hold, to book or decline.',
  },
  {
    name: 'Content',
    description:
      'The content hub: articles, documents and media with categories, tags and SEO metadata; drafts, scheduled publishing and versions for content managers; cacheable public reading.',
  },
  {
    name: 'Reviews',
    description:
      'Patients review completed appointments; the filter holds contact details and flagged words; admins moderate; doctors reply once; the rating behind the directory.',
  },
  {
    name: 'Support',
    description:
      'Support tickets: users open them with attachments and follow a message thread; support agents list, filter, assign, answer (or note internally) and move them open → in-progress → resolved → closed; owners reopen within `support.reopenDays`.',
  },
  { name: 'Appointment records', description: 'Files attached to an appointment and the doctor’s clinical notes.' },
  {
    name: 'Medical records',
    description:
      'Versioned, encrypted medical records, their documents and access log; access grants and emergency access.',
  },
  {
    name: 'Care reports',
    description:
      'Versioned, encrypted care reports a linked caregiver files (vitals with units, observations, medication given, status); the status timeline and vitals trends; the alerts a status sets off and their acknowledgement.',
  },
  {
    name: 'Bot',
    description:
      'The schedule bot: medicine and vaccine schedules from plain language, through Workers AI function calling or the offline parser; its conversations.',
  },
  {
    name: 'Care sessions',
    description:
      "Caregivers' weekly availability and free sessions; booking a caregiver (for oneself or a linked patient, from a doctor's recommendation too) with the same no-double-booking claims as appointments; confirm, decline, cancel, check-in and check-out; the bill by actual time and its checkout.",
  },
  {
    name: 'Prescriptions',
    description:
      'Prescriptions a doctor writes on an appointment, read by the patient, accepted into medicine schedules, expiring with their courses.',
  },
  { name: 'Calendar', description: 'Appointments as iCalendar events, and a private calendar feed URL.' },
  {
    name: 'Caregiver network',
    description: 'Caregiver requests, who cares for whom, what a caregiver may see, and notes between them.',
  },
  { name: 'Care specialties', description: 'The managed list of home-care specialties caregivers are listed under.' },
  {
    name: 'Caregivers',
    description: 'Caregivers as professionals: their profile, credentials and service area, and the public search.',
  },
  {
    name: 'Real time',
    description:
      'The WebSocket that pushes events to the signed-in account, and the tickets that open it. The socket ' +
      'itself is no HTTP operation, so it is described under `x-websocket` of the `/api/v1/realtime` path.',
  },
  {
    name: 'Calls',
    description:
      'Video visits: the room of a video appointment (a WebSocket, described under `x-websocket` of its path), ICE servers, guest invitations, the call summary, its chat and consented recordings.',
  },
  { name: 'Files', description: 'Uploaded files of the signed-in account: metadata, content and deletion.' },
  {
    name: 'Admin',
    description: 'Account administration: search, create, verify, change status, sub-roles, forced logout, delete.',
  },
  {
    name: 'Admin stats',
    description:
      'Admins: the dashboard (accounts, appointments, revenue, latest bookings, top doctors) and tables of usage, Health & Wellness and Home Care numbers per day, week or month, from daily rollups; each as JSON or CSV.',
  },
  {
    name: 'Notifications',
    description: 'The in-app inbox of the signed-in account: list, unread count, mark read, delete.',
  },
  {
    name: 'Notification delivery',
    description: 'Admins: announcements to an account, a role or everyone, and the delivery ledger with re-drives.',
  },
  {
    name: 'Payments',
    description:
      'Visit fees: checkout, a payment with its refunds, payment history (own, earned, or all for admins), earnings per period, receipts in HTML and PDF; refunds with approval and the reconciliation export for admins.',
  },
  {
    name: 'Webhooks',
    description:
      'Called by providers, not by apps: signed by the provider instead of a token (Twilio message status, Stripe payment events).',
  },
  { name: 'Superadmin', description: 'Managing the admins themselves: approve, reject, block, grant and revoke.' },
  {
    name: 'Settings',
    description: 'System settings and feature flags, and the public subset the apps read at start-up.',
  },
  { name: 'Audit', description: 'The audit trail of security-relevant and administrative actions.' },
  {
    name: 'Phone calls',
    description:
      "Twilio voice: the log of calls through the clinic's number for admins, and masked calls from a doctor to an appointment's patient.",
  },
  {
    name: 'Health scores',
    description: 'Scores a user records per local date (overall and by category) and their weekly and monthly trends.',
  },
  {
    name: 'Goals',
    description: "A user's short- and long-term goals, their progress, and the templates content managers propose.",
  },
  { name: 'Feedback', description: 'Feedback users send on the service, and its admin list.' },
  {
    name: 'Quizzes',
    description:
      'Questions and quizzes content managers write, with result bands; users take published quizzes, submit once per attempt and see their score, band and history.',
  },
  {
    name: 'Dashboards',
    description:
      "Each role's dashboard (doctor, receptionist, caregiver, patient) and the admins' live-state tables (inventory, vaccine calendar, care statuses), each read in one round trip; tables also as CSV.",
  },
] as const satisfies readonly { name: string; description: string }[];

/** The configuration {@link openApiDocument} turns into the document: version, info (with contact), servers and tags. */
export const OPENAPI_DOCUMENT: Parameters<OpenAPIHono['getOpenAPI31Document']>[0] = {
  openapi: '3.1.0',
  info: {
    title: 'Kinwell API',
    version: '1.0.0',
    description:
      'Health & wellness platform API at the edge. Every response uses the envelope `{ success, message, data | error, timestamp }`.',
    contact: { name: 'Kinwell support', email: 'support@kinwell.health' },
  },
  servers: [{ url: '/', description: 'This server' }],
  tags: API_TAGS.map((tag) => ({ ...tag })),
};

/**
 * The extension of a path item that describes its WebSocket handshake, in Operation Object form.
 * OpenAPI 3.1 has no model for a WebSocket: as an operation, the handshake (a GET answered with 101
 * Switching Protocols) would make client generators emit an HTTP call that never succeeds, and Spectral
 * rightly reports an operation with no 2xx/3xx answer. Under an `x-` key, readers and socket-aware tools
 * still find its parameters and every answer, while HTTP tooling skips it.
 */
export const WEBSOCKET_EXTENSION = 'x-websocket';

type Json = Record<string, any>;

/**
 * The OpenAPI 3.1 document of `app`, as GET /api/v1/openapi.json serves it: the generated document, with
 * every operation that can succeed only by switching protocols (its answers hold a `101` and no 2xx or
 * 3xx) moved from its method to {@link WEBSOCKET_EXTENSION} of its path. Guarantees that every operation
 * left in `paths` declares a 2xx or 3xx answer it really gives.
 */
export function openApiDocument(app: Pick<OpenAPIHono<any>, 'getOpenAPI31Document'>): Json {
  const doc: Json = app.getOpenAPI31Document(OPENAPI_DOCUMENT);
  for (const item of Object.values<Json>(doc.paths ?? {})) {
    const upgrade = item.get?.responses;
    if (!upgrade || !('101' in upgrade) || Object.keys(upgrade).some((status) => /^[23]/.test(status))) continue;
    item[WEBSOCKET_EXTENSION] = item.get;
    delete item.get;
  }
  return doc;
}
