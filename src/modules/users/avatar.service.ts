import { and, eq, ne } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import { runBatch, type Statements } from '../../db/batch';
import { files, userProfiles, users } from '../../db/schema';
import { constantTimeEqual, hmacHex } from '../../lib/crypto';
import { AppError, notFound } from '../../lib/errors';
import { UPLOAD_RULES } from '../../platform/files';
import { auditInsert } from '../audit/audit.service';
import { stageUpload } from '../files/files.service';
import { getSetting } from '../settings/settings.service';

/** Signed avatar URLs live one hour. */
export const AVATAR_URL_TTL_SECONDS = 3600;

/** Where GET /avatars/{fileId} is served: API_PREFIX of src/app.ts (importing it here would be circular). */
const AVATARS_PATH = '/api/v1/avatars';

export interface AvatarView {
  fileId: string;
  url: string;
  expiresAt: string;
}

/** Avatar URLs are signed with their own key derived from JWT_SECRET, never the token key itself. */
function signingKey(ctx: ServiceContext): string {
  if (!ctx.env.JWT_SECRET) throw new AppError('INTERNAL', 'JWT_SECRET is not configured');
  return `avatar:${ctx.env.JWT_SECRET}`;
}

const signatureOf = (ctx: ServiceContext, fileId: string, expires: number) =>
  hmacHex(signingKey(ctx), `${fileId}.${expires}`);

/**
 * A URL that serves the avatar without a bearer token for an hour, so apps can hand it straight to
 * an image view. `origin` is the API's public origin (`https://api.kinwell.app`).
 */
export async function signAvatarUrl(ctx: ServiceContext, fileId: string, origin: string): Promise<AvatarView> {
  const expires = Math.floor(ctx.clock.now().getTime() / 1000) + AVATAR_URL_TTL_SECONDS;
  const signature = await signatureOf(ctx, fileId, expires);
  return {
    fileId,
    url: `${origin}${AVATARS_PATH}/${fileId}?expires=${expires}&signature=${signature}`,
    expiresAt: new Date(expires * 1000).toISOString(),
  };
}

/**
 * The avatar a profile points at, as a select for the caller's read batch: at most one row, whose
 * `storageKey` is null when the file row is gone (deleted via /files). `avatarOfRows` reads its answer.
 */
export function avatarQuery(ctx: ServiceContext, userId: string) {
  return ctx.db
    .select({ fileId: userProfiles.avatarFileId, storageKey: files.storageKey })
    .from(userProfiles)
    .leftJoin(files, and(eq(files.id, userProfiles.avatarFileId), eq(files.ownerId, userId)))
    .where(eq(userProfiles.userId, userId));
}

type AvatarRow = { fileId: string | null; storageKey: string | null };

/** The avatar `avatarQuery` answered, or null when the profile points at none. */
export function avatarOfRows(rows: readonly AvatarRow[]) {
  const row = rows[0];
  return row?.fileId ? { fileId: row.fileId, storageKey: row.storageKey } : null;
}

async function avatarOf(ctx: ServiceContext, userId: string) {
  return avatarOfRows(await avatarQuery(ctx, userId));
}

const MiB = 1024 * 1024;

/**
 * The largest avatar accepted now: the `uploads.maxAvatarMb` setting, never above the storage limit
 * of avatars (UPLOAD_RULES, 5 MiB).
 */
async function maxAvatarBytes(ctx: ServiceContext): Promise<number> {
  return Math.min((await getSetting(ctx, 'uploads.maxAvatarMb')) * MiB, UPLOAD_RULES.avatar.maxBytes);
}

/**
 * Stores a new avatar (JPEG, PNG or WebP, by magic bytes, up to `maxAvatarBytes`) and points the
 * profile at it. The previous avatar's row and object are deleted; if pointing the profile fails, the
 * new upload is removed again so no orphan is left.
 * @throws AppError FILE_TOO_LARGE (details `maxBytes`, `size`; nothing is stored), INVALID_FILE_TYPE
 */
export async function uploadAvatar(
  ctx: AuthedContext,
  input: { bytes: Uint8Array; fileName: string | null },
  origin: string,
): Promise<AvatarView> {
  const userId = ctx.actor.id;
  // The read batch: the limit (settings) and the avatar being replaced, together.
  const [maxBytes, previous] = await Promise.all([maxAvatarBytes(ctx), avatarOf(ctx, userId)]);
  if (input.bytes.byteLength > maxBytes) {
    throw new AppError('FILE_TOO_LARGE', `An avatar may be at most ${maxBytes / MiB} MiB`, {
      details: { maxBytes, size: input.bytes.byteLength },
    });
  }
  const staged = await stageUpload(ctx, { purpose: 'avatar', bytes: input.bytes, fileName: input.fileName });
  const stored = staged.row;
  const now = ctx.clock.now().getTime();
  // The write batch: the new file's row, the profile pointing at it and the old row's removal, at once.
  const statements: Statements = [
    ...staged.statements,
    ctx.db
      .insert(userProfiles)
      .values({ userId, avatarFileId: stored.id, updatedAt: now })
      .onConflictDoUpdate({ target: userProfiles.userId, set: { avatarFileId: stored.id, updatedAt: now } }),
    auditInsert(ctx, {
      action: 'user.avatar_update',
      resourceType: 'user',
      resourceId: userId,
      metadata: { fileId: stored.id, replaced: previous?.fileId ?? null },
    }),
  ];
  if (previous?.storageKey) {
    statements.push(ctx.db.delete(files).where(and(eq(files.id, previous.fileId), eq(files.ownerId, userId))));
  }
  try {
    await runBatch(ctx.db, statements);
  } catch (err) {
    await staged.discard();
    throw err;
  }
  if (previous?.storageKey) await ctx.ports.storage.delete(previous.storageKey);
  return signAvatarUrl(ctx, stored.id, origin);
}

/**
 * Removes the caller's avatar: the profile stops pointing at it, then its row and object go.
 * @throws AppError NOT_FOUND when there is no avatar
 */
export async function removeAvatar(ctx: AuthedContext): Promise<void> {
  const userId = ctx.actor.id;
  const current = await avatarOf(ctx, userId);
  if (!current) throw notFound('Avatar');
  const now = ctx.clock.now().getTime();
  await ctx.db.batch([
    ctx.db.update(userProfiles).set({ avatarFileId: null, updatedAt: now }).where(eq(userProfiles.userId, userId)),
    ctx.db.delete(files).where(and(eq(files.id, current.fileId), eq(files.ownerId, userId))),
    auditInsert(ctx, {
      action: 'user.avatar_delete',
      resourceType: 'user',
      resourceId: userId,
      metadata: { fileId: current.fileId },
    }),
  ]);
  if (current.storageKey) await ctx.ports.storage.delete(current.storageKey);
}

/** The signed view of the live avatar `avatarQuery` answered, or null (none set, or its file was deleted). */
export async function avatarViewOfRows(
  ctx: ServiceContext,
  rows: readonly AvatarRow[],
  origin: string,
): Promise<AvatarView | null> {
  const current = avatarOfRows(rows);
  return current?.storageKey ? signAvatarUrl(ctx, current.fileId, origin) : null;
}

/**
 * A signed URL for any account's avatar (signed-in callers see each other's pictures).
 * @throws AppError NOT_FOUND when the account does not exist, was deleted, or has no avatar
 */
export async function avatarUrlFor(ctx: ServiceContext, userId: string, origin: string) {
  const row = await ctx.db
    .select({ fileId: files.id })
    .from(userProfiles)
    .innerJoin(users, eq(users.id, userProfiles.userId))
    .innerJoin(files, and(eq(files.id, userProfiles.avatarFileId), eq(files.ownerId, userProfiles.userId)))
    .where(and(eq(userProfiles.userId, userId), ne(users.status, 'removed')))
    .get();
  if (!row) throw notFound('Avatar');
  const { url, expiresAt } = await signAvatarUrl(ctx, row.fileId, origin);
  return { url, expiresAt };
}

/**
 * The bytes behind a signed avatar URL. A wrong, expired or malformed signature, or a file that is no
 * longer an avatar, all answer the same NOT_FOUND, so the endpoint is no oracle.
 * @returns the body, its sniffed type and size, and the seconds the URL has left (for Cache-Control)
 */
export async function readSignedAvatar(
  ctx: ServiceContext,
  input: { fileId: string; expires: string; signature: string },
) {
  const nowSeconds = Math.floor(ctx.clock.now().getTime() / 1000);
  const expires = /^\d{1,12}$/.test(input.expires) ? Number(input.expires) : 0;
  if (expires <= nowSeconds) throw notFound('Avatar');
  const expected = await signatureOf(ctx, input.fileId, expires);
  if (!constantTimeEqual(expected, input.signature.toLowerCase())) throw notFound('Avatar');
  const row = await ctx.db
    .select({ storageKey: files.storageKey, contentType: files.contentType, size: files.size })
    .from(files)
    .where(and(eq(files.id, input.fileId), eq(files.purpose, 'avatar')))
    .get();
  const object = row && (await ctx.ports.storage.get(row.storageKey));
  if (!row || !object) throw notFound('Avatar');
  return { body: object.body, contentType: row.contentType, size: row.size, maxAge: expires - nowSeconds };
}
