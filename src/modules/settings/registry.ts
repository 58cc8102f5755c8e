import { z } from '@hono/zod-openapi';
import type { SettingType } from '../../db/schema';

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

/**
 * The typed registry of every system setting and feature flag. A key missing here cannot be read or
 * written; a stored row for a key removed from here is ignored.
 */
export const SETTINGS = {
  'features.googleSignIn': booleanSetting({
    default: true,
    public: true,
    description: 'Offer "Sign in with Google" (POST /auth/google).',
  }),
  'features.passkeys': booleanSetting({
    default: true,
    public: true,
    description: 'Offer passkey registration and passkey sign-in.',
  }),
  'features.smsSignIn': booleanSetting({
    default: true,
    public: true,
    description: 'Offer sign-in with a one-time code sent by SMS to a mobile number.',
  }),
  'features.bot': booleanSetting({
    default: true,
    public: true,
    description: 'Show the health assistant chat (POST /bot/chat).',
  }),
  'maintenance.enabled': booleanSetting({
    default: false,
    public: true,
    description: 'The apps show the maintenance screen with maintenance.message.',
  }),
  'maintenance.message': stringSetting({
    default: '',
    public: true,
    description: 'Text of the maintenance screen (at most 500 characters).',
    validate: z.string().max(500, 'must be at most 500 characters'),
  }),
  'support.email': stringSetting({
    default: 'support@kinwell.health',
    public: true,
    description: 'Address the apps show for support requests.',
    validate: z.email('must be an email address').max(254),
  }),
  'appointments.cancellationWindowHours': integerSetting({
    default: 24,
    min: 0,
    max: 168,
    public: false,
    description: 'Patients may cancel an appointment free of charge until this many hours before it starts.',
  }),
  'appointments.holdMinutes': integerSetting({
    default: 10,
    min: 1,
    max: 60,
    public: false,
    description: 'How long a slot is held for a patient while they complete a booking.',
  }),
  'reminders.medicationLeadMinutes': integerSetting({
    default: 10,
    min: 0,
    max: 120,
    public: false,
    description: 'Medication reminders are sent this many minutes before the dose is due.',
  }),
  'uploads.maxAvatarMb': integerSetting({
    default: 5,
    min: 1,
    max: 5,
    public: false,
    description: 'Largest avatar image accepted, in MiB (never above the 5 MiB storage limit).',
  }),
} satisfies Record<string, SettingDefinition<any>>;

export type SettingKey = keyof typeof SETTINGS;

/** The value type of a setting, e.g. `SettingValue<'appointments.holdMinutes'>` is `number`. */
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
