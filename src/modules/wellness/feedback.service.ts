import { and, desc, eq, gte, lt, lte } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { paginate } from '../../db/paginate';
import { type WellnessFeedbackRow, wellnessFeedback } from '../../db/schema';
import { notFound } from '../../lib/errors';
import { addDays, iso } from '../../lib/time';
import { auditInsert } from '../audit/audit.service';
import type { FeedbackInput, FeedbackListQueryInput } from './wellness.schemas';

/** Users' feedback on the service: sent by anyone signed in, listed and deleted by admins. */

const feedbackView = (row: WellnessFeedbackRow) => ({
  id: row.id,
  userId: row.userId,
  rating: row.rating,
  category: row.category,
  text: row.text,
  createdAt: iso(row.createdAt),
});

/** Sends the caller's feedback. One round trip. */
export async function sendFeedback(ctx: AuthedContext, input: FeedbackInput) {
  const [row] = await ctx.db
    .insert(wellnessFeedback)
    .values({
      id: ctx.ids.id('fbk'),
      userId: ctx.actor.id,
      rating: input.rating,
      category: input.category,
      text: input.text ?? null,
      createdAt: ctx.clock.now().getTime(),
    })
    .returning();
  return feedbackView(row as WellnessFeedbackRow);
}

/** A page of feedback, newest first, by category, rating range and the UTC dates it was sent. One round trip. */
export function listFeedback(ctx: AuthedContext, query: FeedbackListQueryInput) {
  const day = (date: string) => Date.parse(`${date}T00:00:00Z`);
  return paginate(ctx.db, wellnessFeedback, {
    where: and(
      query.category ? eq(wellnessFeedback.category, query.category) : undefined,
      query.minRating !== undefined ? gte(wellnessFeedback.rating, query.minRating) : undefined,
      query.maxRating !== undefined ? lte(wellnessFeedback.rating, query.maxRating) : undefined,
      query.from ? gte(wellnessFeedback.createdAt, day(query.from)) : undefined,
      query.to ? lt(wellnessFeedback.createdAt, day(addDays(query.to, 1))) : undefined,
    ),
    orderBy: [desc(wellnessFeedback.createdAt), desc(wellnessFeedback.id)],
    page: query.page,
    limit: query.limit,
    map: feedbackView,
  });
}

/** Deletes one feedback (an admin), with an audit event in the same batch. One round trip. @throws AppError NOT_FOUND */
export async function deleteFeedback(ctx: AuthedContext, id: string): Promise<void> {
  const [, deleted] = await ctx.db.batch([
    auditInsert(
      ctx,
      { action: 'wellness.feedback.delete', resourceType: 'feedback', resourceId: id },
      { guard: { from: wellnessFeedback, where: eq(wellnessFeedback.id, id) } },
    ),
    ctx.db.delete(wellnessFeedback).where(eq(wellnessFeedback.id, id)).returning({ id: wellnessFeedback.id }),
  ]);
  if (!deleted.length) throw notFound('Feedback');
}
