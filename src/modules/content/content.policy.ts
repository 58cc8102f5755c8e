import type { ContentKind, ContentStatus } from '../../db/schema/content';

/**
 * Where a content item may go from each status. Publishing is immediate (`published`) or timed
 * (`scheduled`, the cron publishes); a published item is withdrawn by archiving; an archived one goes
 * back to draft to be reworked. `scheduled → scheduled` moves the time.
 */
export const CONTENT_TRANSITIONS: Record<ContentStatus, readonly ContentStatus[]> = {
  draft: ['scheduled', 'published', 'archived'],
  scheduled: ['draft', 'scheduled', 'published', 'archived'],
  published: ['archived'],
  archived: ['draft'],
};

export const canMove = (from: ContentStatus, to: ContentStatus): boolean => CONTENT_TRANSITIONS[from].includes(to);

/** What an item of a kind must carry: an article its body (and no file), a document or media item its file. */
export function missingForKind(kind: ContentKind, item: { body: string | null; fileId: string | null }) {
  if (kind === 'article') {
    if (!item.body) return { field: 'body', message: 'An article needs a body' };
    if (item.fileId) return { field: 'fileId', message: 'An article has no file' };
    return null;
  }
  if (!item.fileId) return { field: 'fileId', message: `A ${kind} needs a file` };
  if (item.body) return { field: 'body', message: `A ${kind} has no body` };
  return null;
}
