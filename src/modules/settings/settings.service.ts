import { type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { systemSettings } from '../../db/schema';
import { page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { isNationalFormat } from '../../lib/phone';
import { auditInsert } from '../audit/audit.service';
import {
  definitionOf,
  hasSettingType,
  isSettingKey,
  SETTING_KEYS,
  type SettingKey,
  type SettingValue,
  type SettingValues,
} from './registry';

/** One setting's effective value and where it came from (a stored row or the registry default). */
interface ResolvedSetting {
  value: unknown;
  updatedAt: number | null;
  updatedBy: string | null;
}

type Snapshot = ReadonlyMap<SettingKey, ResolvedSetting>;

const CACHE_KEY = 'settings:snapshot';

/** The stored settings rows, for `snapshotFrom`. */
type StoredRows = (typeof systemSettings.$inferSelect)[];

/** Every registry key with its stored value, or its default when none is stored or the stored one is no longer valid. */
function snapshotFrom(ctx: ServiceContext, rows: StoredRows): Snapshot {
  const stored = new Map(rows.map((row) => [row.key, row]));
  const snapshot = new Map<SettingKey, ResolvedSetting>();
  for (const key of SETTING_KEYS) {
    const definition = definitionOf(key);
    const row = stored.get(key);
    if (row && definition.validate.safeParse(row.value).success) {
      snapshot.set(key, { value: row.value, updatedAt: row.updatedAt, updatedBy: row.updatedBy });
      continue;
    }
    // A row written under an older, looser rule must not leak an out-of-range value into the app.
    if (row) ctx.log.log('warn', 'setting_invalid_stored_value', { key });
    snapshot.set(key, { value: definition.default, updatedAt: null, updatedBy: null });
  }
  return snapshot;
}

async function readSnapshot(ctx: ServiceContext): Promise<Snapshot> {
  return snapshotFrom(ctx, await ctx.db.select().from(systemSettings));
}

/**
 * The settings read as a statement for the caller's own read batch (src/db/batch.ts), so that a service
 * needing a setting pays no round trip for it; hand what it answered to `primeSettings`. Undefined when
 * this unit of work already holds the settings (nothing to read).
 * @example const { row, settings } = await batchOf(ctx.db, { row: query, settings: settingsQuery(ctx) });
 *   primeSettings(ctx, settings);
 *   const ttl = await getSetting(ctx, 'appointments.holdTtlMinutes'); // from memory
 */
export function settingsQuery(ctx: ServiceContext) {
  return ctx.cache.has(CACHE_KEY) ? undefined : ctx.db.select().from(systemSettings);
}

/**
 * Memoises the settings `settingsQuery` read, so `getSetting` and the others answer from memory for the
 * rest of the unit of work. A snapshot already held (read earlier, or just changed by `updateSetting`)
 * is kept; `undefined` (nothing was read) changes nothing.
 */
export function primeSettings(ctx: ServiceContext, rows: StoredRows | undefined): void {
  if (rows && !ctx.cache.has(CACHE_KEY)) ctx.cache.set(CACHE_KEY, Promise.resolve(snapshotFrom(ctx, rows)));
}

/**
 * All settings, read with one D1 query per unit of work and memoised in `ctx.cache` (concurrent
 * readers in the same request share the one query).
 */
function snapshotOf(ctx: ServiceContext): Promise<Snapshot> {
  const cached = ctx.cache.get(CACHE_KEY) as Promise<Snapshot> | undefined;
  if (cached) return cached;
  const loading = readSnapshot(ctx);
  ctx.cache.set(CACHE_KEY, loading);
  // A failed read is not memoised: the next reader tries again.
  loading.catch(() => {
    if (ctx.cache.get(CACHE_KEY) === loading) ctx.cache.delete(CACHE_KEY);
  });
  return loading;
}

/**
 * The current value of one setting, typed by the registry.
 * @example const maxMb = await getSetting(ctx, 'uploads.maxAvatarMb'); // number
 */
export async function getSetting<K extends SettingKey>(ctx: ServiceContext, key: K): Promise<SettingValue<K>> {
  const snapshot = await snapshotOf(ctx);
  return snapshot.get(key)!.value as SettingValue<K>;
}

/** The keys of the on/off settings (feature flags). */
export type FlagKey = { [K in SettingKey]: SettingValue<K> extends boolean ? K : never }[SettingKey];

/**
 * Refuses a request to a feature that a superadmin turned off.
 * @example await assertFlagOn(ctx, 'features.googleSignIn', 'Google sign-in is turned off');
 * @throws AppError FORBIDDEN (`details.setting` names the flag) while the flag is false
 */
export async function assertFlagOn(ctx: ServiceContext, key: FlagKey, message: string): Promise<void> {
  if (!(await getSetting(ctx, key))) throw new AppError('FORBIDDEN', message, { details: { setting: key } });
}

/**
 * SQL that is true while a feature flag is on, as `getSetting` reads it (a stored boolean, else the
 * registry default), for a statement that must do nothing while the flag is off: e.g. a rate-limit hit
 * batched with the read that will refuse the request.
 */
export function flagOnSql(key: FlagKey): SQL {
  const fallback = definitionOf(key).default ? 1 : 0;
  return sql`coalesce((select case json_type(${systemSettings.value}) when 'true' then 1 when 'false' then 0 end from ${systemSettings} where ${systemSettings.key} = ${key}), ${sql.raw(String(fallback))}) = 1`;
}

/** The keys of the whole-number settings. */
export type IntegerKey = { [K in SettingKey]: SettingValue<K> extends number ? K : never }[SettingKey];

/**
 * SQL answering a whole-number setting's current value, as `getSetting` reads it (a stored integer,
 * else the registry default), for a statement whose condition depends on it and which must go out in a
 * batch before the settings could be read (a time window in a read's access check, the directory's
 * minimum review count).
 */
export function integerSettingSql(key: IntegerKey): SQL<number> {
  const fallback = Number(definitionOf(key).default);
  return sql<number>`coalesce((select case json_type(${systemSettings.value}) when 'integer' then json_extract(${systemSettings.value}, '$') end from ${systemSettings} where ${systemSettings.key} = ${key}), ${sql.raw(String(fallback))})`;
}

/**
 * The region a mobile number in national format is read in (`phone.defaultRegion`; null while it is
 * empty), for `toE164`. Null at once, reading nothing, when `input` is absent or international: only a
 * national number pays the settings read (none when this unit of work already holds them).
 */
export async function phoneRegionFor(ctx: ServiceContext, input: string | null | undefined): Promise<string | null> {
  if (!input || !isNationalFormat(input)) return null;
  return (await getSetting(ctx, 'phone.defaultRegion')) || null;
}

/** Every setting's current value, keyed by setting. */
export async function getSettingValues(ctx: ServiceContext): Promise<SettingValues> {
  const snapshot = await snapshotOf(ctx);
  return Object.fromEntries(SETTING_KEYS.map((key) => [key, snapshot.get(key)!.value])) as SettingValues;
}

export interface SettingView {
  key: SettingKey;
  value: unknown;
  default: unknown;
  type: string;
  description: string;
  public: boolean;
  /** When a superadmin last set it; null while it has its default. */
  updatedAt: string | null;
  updatedBy: string | null;
}

function toSettingView(key: SettingKey, resolved: ResolvedSetting): SettingView {
  const definition = definitionOf(key);
  return {
    key,
    value: resolved.value,
    default: definition.default,
    type: definition.type,
    description: definition.description,
    public: definition.public,
    updatedAt: resolved.updatedAt === null ? null : new Date(resolved.updatedAt).toISOString(),
    updatedBy: resolved.updatedBy,
  };
}

/** Every setting with its value, default, type, description and visibility, ordered by key. */
export async function getSettings(ctx: ServiceContext): Promise<SettingView[]> {
  const snapshot = await snapshotOf(ctx);
  return [...SETTING_KEYS].sort().map((key) => toSettingView(key, snapshot.get(key)!));
}

/** A page of `getSettings` (the registry is small: `limit=100` returns every key). */
export async function listSettings(ctx: ServiceContext, query: { page: number; limit: number }) {
  const all = await getSettings(ctx);
  const start = (query.page - 1) * query.limit;
  return page(all.slice(start, start + query.limit), all.length, query);
}

/** The public settings as a flat object, for the apps at start-up (no token). */
export async function getPublicSettings(ctx: ServiceContext): Promise<Record<string, unknown>> {
  const snapshot = await snapshotOf(ctx);
  return Object.fromEntries(
    [...SETTING_KEYS]
      .sort()
      .filter((key) => definitionOf(key).public)
      .map((key) => [key, snapshot.get(key)!.value]),
  );
}

function invalidValue(message: string): AppError {
  return new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field: 'value', message }] });
}

/**
 * Sets one setting after checking its type and its registry rule, and audits the old and new value in
 * the same batch. Later reads in the same unit of work see the new value.
 * @throws AppError NOT_FOUND (no such key), VALIDATION_FAILED (field `value`)
 */
export async function updateSetting(ctx: ServiceContext, key: string, value: unknown): Promise<SettingView> {
  if (!isSettingKey(key)) throw notFound('Setting');
  const definition = definitionOf(key);
  if (!hasSettingType(definition.type, value)) throw invalidValue(`must be a ${definition.type}`);
  const parsed = definition.validate.safeParse(value);
  if (!parsed.success) throw invalidValue(parsed.error.issues.map((issue) => issue.message).join('; '));

  const before = await snapshotOf(ctx);
  const old = before.get(key)!;
  const now = ctx.clock.now().getTime();
  const updatedBy = ctx.actor?.id ?? null;
  await ctx.db.batch([
    ctx.db
      .insert(systemSettings)
      .values({ key, value: parsed.data, updatedAt: now, updatedBy })
      .onConflictDoUpdate({ target: systemSettings.key, set: { value: parsed.data, updatedAt: now, updatedBy } }),
    auditInsert(ctx, {
      action: 'settings.update',
      resourceType: 'system-setting',
      resourceId: key,
      metadata: { key, oldValue: old.value, newValue: parsed.data, oldWasDefault: old.updatedAt === null },
    }),
  ]);

  const updated: ResolvedSetting = { value: parsed.data, updatedAt: now, updatedBy };
  const after = new Map(before);
  after.set(key, updated);
  ctx.cache.set(CACHE_KEY, Promise.resolve(after));
  return toSettingView(key, updated);
}
