import { z } from '@hono/zod-openapi';
import { OTP_TTL_MS } from '../../access/one-time-codes';
import { ACCESS_TOKEN_TTL_SECONDS } from '../../access/tokens';
import type { SettingType } from '../../db/schema';
import { e164OrNull, isPhoneRegion } from '../../lib/phone';
import { isLocalTime } from '../../lib/time';

/**
 * One system setting: its JSON type, the value used while no superadmin has set one, who may read it
 * and the rule a new value must pass. `validate` is the source of the value's TypeScript type.
 */
export interface SettingDefinition<T = unknown> {
  type: SettingType;
  default: T;
  description: string;
  /** Public settings are served without a token at GET /api/v1/settings/public (mobile apps at start-up). */
  public: boolean;
  validate: z.ZodType<T>;
}

const booleanSetting = (def: {
  default: boolean;
  description: string;
  public: boolean;
}): SettingDefinition<boolean> => ({
  type: 'boolean',
  validate: z.boolean(),
  ...def,
});

const integerSetting = (def: {
  default: number;
  min: number;
  max: number;
  description: string;
  public: boolean;
}): SettingDefinition<number> => ({
  type: 'number',
  default: def.default,
  description: def.description,
  public: def.public,
  validate: z
    .number()
    .int('must be a whole number')
    .min(def.min, `must be at least ${def.min}`)
    .max(def.max, `must be at most ${def.max}`),
});

const stringSetting = (def: {
  default: string;
  description: string;
  public: boolean;
  validate: z.ZodType<string>;
}): SettingDefinition<string> => ({ type: 'string', ...def });

/** Whether the runtime knows `zone` as an IANA time zone, spelled as it spells it. */
function isTimeZone(zone: string): boolean {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone === zone;
  } catch {
    return false;
  }
}

/**
 * The typed registry of every system setting and feature flag. A key missing here cannot be read or
 * written; a stored row for a key removed from here is ignored.
 */
export const SETTINGS = {
  'appointments.holdTtlMinutes': integerSetting({
    default: 10,
    min: 1,
    max: 30,
    public: true,
    description:
      'How long POST /api/v1/appointments/holds keeps a slot for the patient, in minutes. An expired hold blocks nobody (even before the sweep deletes it) and can no longer be converted: booking with it answers 409 HOLD_EXPIRED.',
  }),
  'appointments.cancellationPolicy': {
    type: 'json',
    public: true,
    default: [
      { minHoursBefore: 24, refundPercent: 100 },
      { minHoursBefore: 2, refundPercent: 50 },
    ],
    description:
      'Refund due when a patient cancels, by notice: the first tier (sorted by minHoursBefore, largest first) whose minHoursBefore the notice reaches gives refundPercent; less notice than every tier refunds nothing. The refund is stored on the appointment (refundPercent, refundDueCents) for the payments module. Cancellations by the doctor or staff always refund 100 %.',
    validate: z
      .array(
        z.strictObject({
          minHoursBefore: z
            .number()
            .min(0, 'must be at least 0')
            .max(24 * 90, 'must be at most 2160'),
          refundPercent: z.number().int('must be a whole number').min(0).max(100, 'must be at most 100'),
        }),
      )
      .max(10, 'at most 10 tiers'),
  } satisfies SettingDefinition<{ minHoursBefore: number; refundPercent: number }[]>,
  'auth.accessTokenTtlMinutes': integerSetting({
    default: ACCESS_TOKEN_TTL_SECONDS / 60,
    min: 5,
    max: 60,
    public: false,
    description:
      'How long an access token (the `exp` of the JWT, `expiresIn` of a sign-in or refresh) lasts, in minutes. Applies to tokens issued after the change; tokens already issued keep their `exp`. 5 to 60: shorter only multiplies refreshes (two round trips each), longer widens what a leaked token allows before it expires.',
  }),
  'auth.otpTtlMinutes': integerSetting({
    default: OTP_TTL_MS / 60_000,
    min: 2,
    max: 10,
    public: false,
    description:
      'How long a 6-digit one-time code lasts, in minutes: sign-in codes by email and SMS, email verification, password reset, second-factor codes, email and mobile changes, account deletion (not admin invitations, 72 hours). `expiresIn` of every code-sent answer and the text of the message follow it; codes already sent keep their expiry. 2 to 10: an SMS can take a minute to arrive, and a code left longer in an inbox or on a lock screen is readable longer by someone else (guidance for codes sent by SMS or email, such as NIST SP 800-63B, goes no higher than 10).',
  }),
  'auth.refreshTokenTtlDays': integerSetting({
    default: 30,
    min: 1,
    max: 90,
    public: false,
    description:
      'How long a refresh token lasts, in days: a session not refreshed within it ends (each refresh issues a new token with the full lifetime). Applies to tokens issued after the change. A session still ends 90 days after its sign-in, so 90 is the most that means anything.',
  }),
  'calls.joinGraceMinutes': integerSetting({
    default: 0,
    min: 0,
    max: 240,
    public: true,
    description:
      "How long after a video appointment's end its room still lets people join, in minutes. A visit the doctor started (in progress) stays joinable until the doctor ends it.",
  }),
  'calls.openMinutesBefore': integerSetting({
    default: 10,
    min: 0,
    max: 120,
    public: true,
    description:
      "How many minutes before a video appointment's start its room opens: a join earlier than that is refused (409 ROOM_NOT_OPEN, with the time it opens).",
  }),
  'calls.recordingRetentionDays': integerSetting({
    default: 30,
    min: 1,
    max: 3650,
    public: false,
    description:
      'How many days a stored call recording is kept; the cron deletes it (R2 object and all) after that, counted from when its upload completed.',
  }),
  'caregivers.requestCooldownHours': integerSetting({
    default: 24,
    min: 0,
    max: 720,
    public: false,
    description:
      'After a receiver rejects a caregiver request, how many hours the requester must wait before sending that person another one (409 CONFLICT with Retry-After until then). 0 allows re-sending at once.',
  }),
  'features.facebookSignIn': booleanSetting({
    default: false,
    public: true,
    description:
      'When true, POST /api/v1/auth/facebook signs in with a Facebook user access token (FACEBOOK_APP_ID and FACEBOOK_APP_SECRET must be set). Off by default: a Facebook app must be set up and reviewed first. While false the route answers 403 FORBIDDEN before anything else (no call to Facebook); accounts created with Facebook can still sign in with an emailed code (POST /api/v1/auth/otp/send).',
  }),
  'features.googleSignIn': booleanSetting({
    default: true,
    public: true,
    description:
      'When false, POST /api/v1/auth/google answers 403 FORBIDDEN before the token is checked (no call to Google). Accounts created with Google can still sign in with an emailed code (POST /api/v1/auth/otp/send).',
  }),
  'features.passkeys': booleanSetting({
    default: true,
    public: true,
    description:
      'When false, passkey registration (POST /api/v1/auth/passkeys/register/options and /verify) and passkey sign-in (POST /api/v1/auth/passkeys/authenticate/options and /verify) answer 403 FORBIDDEN. Registered passkeys stay stored and can still be listed and deleted; a passkey that is a second factor keeps answering 2FA sign-in challenges (POST /api/v1/auth/2fa/passkey/options, /2fa/verify), so nobody is locked out.',
  }),
  'features.smsSignIn': booleanSetting({
    default: true,
    public: true,
    description:
      'When false, POST /api/v1/auth/otp/send and /otp/verify answer 403 FORBIDDEN for a mobileNumber (no SMS is sent, no account is created); one-time codes by email are unaffected.',
  }),
  'maintenance.enabled': booleanSetting({
    default: false,
    public: true,
    description:
      'Client-facing: served by GET /api/v1/settings/public for the apps to read (true: show the maintenance screen). The API does not act on it.',
  }),
  'maintenance.message': stringSetting({
    default: '',
    public: true,
    description:
      'Client-facing: served by GET /api/v1/settings/public for the apps to read (the maintenance screen text, at most 500 characters). The API does not act on it.',
    validate: z.string().max(500, 'must be at most 500 characters'),
  }),
  'payments.checkoutMinutes': integerSetting({
    default: 30,
    min: 30,
    max: 1440,
    public: true,
    description:
      "How long a pay-at-booking appointment waits for its payment, in minutes from booking: the checkout session's `expires_at` (Stripe allows 30 minutes to 24 hours). Unpaid by then, the appointment is cancelled and its time released (by Stripe's `checkout.session.expired` event, or the cron if that event is lost).",
  }),
  'payments.clinic': {
    type: 'json',
    public: false,
    default: {
      name: 'Kinwell Health',
      addressLines: ['1 Example Street', '10115 Berlin', 'Germany'],
      email: 'billing@kinwell.health',
      phone: null,
      taxId: null,
    },
    description:
      'The clinic details printed on every receipt: name, address lines (at most 5), email, phone and tax id (VAT or PIN number).',
    validate: z.strictObject({
      name: z.string().trim().min(1).max(120),
      addressLines: z.array(z.string().trim().min(1).max(120)).max(5),
      email: z.email().max(254).nullable(),
      phone: z.string().trim().max(40).nullable(),
      taxId: z.string().trim().max(40).nullable(),
    }),
  } satisfies SettingDefinition<{
    name: string;
    addressLines: string[];
    email: string | null;
    phone: string | null;
    taxId: string | null;
  }>,
  'payments.refundApprovalCents': integerSetting({
    default: 20_000,
    min: 0,
    max: 100_000_000,
    public: false,
    description:
      "An admin refund above this amount (in the payment currency's minor unit, e.g. cents) waits for a second admin's approval before any money moves; at or below it, it is sent at once. Cancellation refunds follow the cancellation policy and never wait.",
  }),
  'payments.taxRates': {
    type: 'json',
    public: true,
    default: {} as Record<string, { label: string; rateBps: number }>,
    description:
      'The tax contained in prices, per currency (ISO 4217, upper case): `{ "EUR": { "label": "VAT", "rateBps": 1900 } }` (basis points: 1900 = 19 %). Prices are tax-inclusive: a receipt shows the net amount, the tax line and the total paid. A currency missing here has no tax line. A payment keeps the rate of the moment it was paid.',
    validate: z.record(
      z.string().regex(/^[A-Z]{3}$/, 'keys must be ISO 4217 currency codes such as EUR'),
      z.strictObject({
        label: z.string().trim().min(1).max(40),
        rateBps: z.number().int('must be a whole number').min(0).max(10_000),
      }),
    ),
  } satisfies SettingDefinition<Record<string, { label: string; rateBps: number }>>,
  'payments.timing': stringSetting({
    default: 'later',
    public: true,
    description:
      "When a visit's fee is paid, for services that do not say (a service's `paymentTiming` wins): `at-booking` (the appointment stays pending until paid, payment confirms it, and staff cannot confirm it unpaid: 402 PAYMENT_REQUIRED) or `later` (staff confirm as usual; the patient may pay any time before or after the visit). Applies to bookings made after the change.",
    validate: z.enum(['at-booking', 'later']),
  }) as SettingDefinition<'at-booking' | 'later'>,
  'phone.defaultRegion': stringSetting({
    default: '',
    public: true,
    description:
      "The region (ISO 3166-1 alpha-2, e.g. IN, KE, US) a mobile number typed without + or 00 is read in, so clients can send national numbers (IN: 9876543210 is stored as +919876543210; KE: 0712345678 as +254712345678). A signed-in user's own numbers (mobile change, emergency contacts) are read in their profile address's country first. Empty (the default): numbers must be in international format, except digits that are one without their +. Numbers with + are read the same under any region.",
    validate: z
      .string()
      .refine((code) => code === '' || isPhoneRegion(code), 'must be empty or a region code such as IN, KE or US'),
  }),
  'records.doctorAccessDays': integerSetting({
    default: 365,
    min: 1,
    max: 3650,
    public: false,
    description:
      "How far back a doctor's appointment with a patient opens the patient's medical record, in days: a doctor with a confirmed, in-progress or completed appointment starting within this many days before now (or any time after) may read the record and add to it. Checked by time in the read itself.",
  }),
  'records.emergencyAccessMinutes': integerSetting({
    default: 60,
    min: 5,
    max: 1440,
    public: false,
    description:
      "How long an emergency (break-glass) access opens a patient's medical record to the doctor who asked for it, in minutes. Read access only; every use is reviewed by an admin.",
  }),
  'reviews.editWindowDays': integerSetting({
    default: 14,
    min: 0,
    max: 365,
    public: true,
    description:
      'How many days after writing it a patient may still edit their review (PATCH /api/v1/reviews/{id}); later edits answer 409 INVALID_TRANSITION. 0 makes reviews final once written. Applies to reviews already written.',
  }),
  'reviews.minCountToShow': integerSetting({
    default: 3,
    min: 1,
    max: 100,
    public: true,
    description:
      'How many published reviews a doctor needs before the directory and the profile show their average rating (`rating.average` and `rating.categories` stay null below it; `rating.count` is always shown) and before `sort=rating` ranks them among the rated. A few reviews say little, and one unhappy or friendly patient would set the whole rating.',
  }),
  'stats.timeZone': stringSetting({
    default: 'UTC',
    public: false,
    description:
      "The platform's reporting time zone (IANA, e.g. Europe/Berlin): the admin dashboard's days, months and years (today's appointments, revenue this month) and the days of every daily rollup are local dates in it. Changing it rebuilds every rollup at the next cron run (a first run backfills 31 days a minute).",
    validate: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Lisbon'),
  }),
  'support.email': stringSetting({
    default: 'support@kinwell.health',
    public: true,
    description:
      'Client-facing: served by GET /api/v1/settings/public for the apps to read (the address they show for support requests). The API does not act on it.',
    validate: z.email('must be an email address').max(254),
  }),
  'support.reopenDays': integerSetting({
    default: 7,
    min: 0,
    max: 90,
    public: true,
    description:
      'How many days after a support ticket is resolved its owner may still reopen it (POST /api/v1/support/tickets/{id}/reopen); later the reopen answers 409 INVALID_TRANSITION. 0 means a resolved ticket cannot be reopened. Applies to tickets already resolved.',
  }),
  'uploads.maxAvatarMb': integerSetting({
    default: 5,
    min: 1,
    max: 5,
    public: false,
    description:
      'Largest avatar PUT /api/v1/users/me/avatar accepts, in MiB; a larger file answers 413 FILE_TOO_LARGE (details.maxBytes) and nothing is stored. The 5 MiB storage limit applies regardless.',
  }),
  'voice.afterHoursMessage': stringSetting({
    default:
      'Thank you for calling Kinwell. The clinic is closed now. Please call again during opening hours; in an emergency, call your local emergency number.',
    public: false,
    description:
      "What a caller to the clinic's Twilio number hears (`<Say>`) outside `voice.hours`, or while no `voice.onDutyNumber` is set; then the call ends. 1 to 500 characters.",
    validate: z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters'),
  }),
  'voice.hours': {
    type: 'json',
    public: false,
    default: {
      timeZone: 'UTC',
      intervals: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '09:00', end: '17:00' })),
    },
    description:
      "When calls to the clinic's Twilio number are forwarded to `voice.onDutyNumber`: weekly intervals (weekday 1 = Monday … 7 = Sunday, local `HH:MM`, end up to 24:00) in `timeZone` (IANA). Outside them callers hear `voice.afterHoursMessage`. No intervals: never forwarded.",
    validate: z.strictObject({
      timeZone: z.string().max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/Lisbon'),
      intervals: z
        .array(
          z
            .strictObject({
              weekday: z.number().int().min(1).max(7),
              start: z.string().refine(isLocalTime, 'must be HH:MM'),
              end: z.string().refine((t) => t === '24:00' || isLocalTime(t), 'must be HH:MM (up to 24:00)'),
            })
            .refine((i) => i.start < i.end, { message: 'start must be before end', path: ['end'] }),
        )
        .max(50, 'at most 50 intervals'),
    }),
  } satisfies SettingDefinition<{ timeZone: string; intervals: { weekday: number; start: string; end: string }[] }>,
  'voice.onDutyNumber': stringSetting({
    default: '',
    public: false,
    description:
      "The on-duty staff number (E.164, e.g. +14155550123) calls to the clinic's Twilio number are forwarded to during `voice.hours`. Empty (the default): nobody is on duty, and callers hear `voice.afterHoursMessage`.",
    validate: z
      .string()
      .refine(
        (number) => number === '' || e164OrNull(number) === number,
        'must be empty or a number in E.164 such as +14155550123',
      ),
  }),
  'waitlist.offerMinutes': integerSetting({
    default: 15,
    min: 5,
    max: 240,
    public: true,
    description:
      'How long a waitlist offer keeps its slot for the patient, in minutes (docs/waitlist.md): the offer is a hold that expires then, and the slot passes to the next patient on the waitlist.',
  }),
} satisfies Record<string, SettingDefinition<any>>;

export type SettingKey = keyof typeof SETTINGS;

/** The value type of a setting, e.g. `SettingValue<'uploads.maxAvatarMb'>` is `number`. */
export type SettingValue<K extends SettingKey> = (typeof SETTINGS)[K] extends SettingDefinition<infer T> ? T : never;

/** Every setting's current value, keyed by setting. */
export type SettingValues = { [K in SettingKey]: SettingValue<K> };

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTINGS, key);
}

/** The registry entry of `key`, widened for code that handles every setting alike. */
export function definitionOf(key: SettingKey): SettingDefinition {
  return SETTINGS[key] as SettingDefinition;
}

/** Whether `value` has the JSON type a setting declares (before its own rule is checked). */
export function hasSettingType(type: SettingType, value: unknown): boolean {
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string';
    case 'json':
      return value !== undefined;
  }
}
