import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { paginate } from '../../db/paginate';
import {
  type GoalProgressRow,
  type GoalTemplateRow,
  goalProgress,
  goalTemplates,
  type WellnessGoalRow,
  wellnessGoals,
} from '../../db/schema';
import { selectedRow } from '../../db/sql';
import { AppError, notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { refuseFutureDate } from './wellness.rules';
import type {
  CreateGoalInput,
  CreateTemplateInput,
  GoalFromTemplateInput,
  GoalListQueryInput,
  GoalView,
  ProgressInput,
} from './wellness.schemas';

/**
 * Goals: a user's own (anyone else's id is 404), made from scratch or from a content manager's
 * template. A goal is `active` until it is achieved or abandoned, and neither can be undone. Its
 * `progress` is the sum of its progress entries; the entry that brings it to the target marks it
 * `achieved` in the same write, and the user may also mark it achieved (or abandoned) themselves.
 */

const goalView = (row: WellnessGoalRow): GoalView => ({
  id: row.id,
  templateId: row.templateId,
  title: row.title,
  category: row.category,
  targetValue: row.targetValue,
  unit: row.unit,
  dueDate: row.dueDate,
  horizon: row.horizon,
  status: row.status,
  progress: row.progress,
  endedAt: iso(row.endedAt),
  createdAt: iso(row.createdAt),
  updatedAt: iso(row.updatedAt),
});

const progressView = (row: GoalProgressRow) => ({
  id: row.id,
  value: row.value,
  date: row.date,
  note: row.note,
  createdAt: iso(row.createdAt),
});

const templateView = (row: GoalTemplateRow) => ({
  id: row.id,
  title: row.title,
  category: row.category,
  suggestedTarget: row.suggestedTarget,
  unit: row.unit,
  horizon: row.horizon,
  createdAt: iso(row.createdAt),
});

const myGoal = (ctx: AuthedContext, id: string) =>
  and(eq(wellnessGoals.id, id), eq(wellnessGoals.userId, ctx.actor.id));

const notActive = (status: string) => new AppError('INVALID_TRANSITION', `The goal is ${status}, no longer active`);

function insertGoal(
  ctx: AuthedContext,
  values: Omit<CreateGoalInput, 'dueDate'> & { dueDate?: string | null; templateId?: string },
) {
  const now = ctx.clock.now().getTime();
  return ctx.db
    .insert(wellnessGoals)
    .values({
      id: ctx.ids.id('gol'),
      userId: ctx.actor.id,
      templateId: values.templateId ?? null,
      title: values.title,
      category: values.category,
      targetValue: values.targetValue,
      unit: values.unit,
      dueDate: values.dueDate ?? null,
      horizon: values.horizon,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
}

/** Creates a goal of the caller's. One round trip. */
export async function createGoal(ctx: AuthedContext, input: CreateGoalInput): Promise<GoalView> {
  const [row] = await insertGoal(ctx, input);
  return goalView(row as WellnessGoalRow);
}

/**
 * Creates a goal of the caller's from a template: its title, category, unit and horizon, with the
 * suggested target unless the caller gives another. Two round trips.
 * @throws AppError NOT_FOUND for no such template
 */
export async function createGoalFromTemplate(
  ctx: AuthedContext,
  templateId: string,
  input: GoalFromTemplateInput,
): Promise<GoalView> {
  const [template] = await ctx.db.select().from(goalTemplates).where(eq(goalTemplates.id, templateId));
  if (!template) throw notFound('Goal template');
  const [row] = await insertGoal(ctx, {
    templateId,
    title: input.title ?? template.title,
    category: template.category,
    targetValue: input.targetValue ?? template.suggestedTarget,
    unit: template.unit,
    horizon: template.horizon,
    dueDate: input.dueDate,
  });
  return goalView(row as WellnessGoalRow);
}

/** A page of the caller's goals, newest first, by status and horizon. One round trip. */
export function listGoals(ctx: AuthedContext, query: GoalListQueryInput) {
  return paginate(ctx.db, wellnessGoals, {
    where: and(
      eq(wellnessGoals.userId, ctx.actor.id),
      query.status ? eq(wellnessGoals.status, query.status) : undefined,
      query.horizon ? eq(wellnessGoals.horizon, query.horizon) : undefined,
    ),
    orderBy: [desc(wellnessGoals.createdAt), desc(wellnessGoals.id)],
    page: query.page,
    limit: query.limit,
    map: goalView,
  });
}

/** One of the caller's goals with its progress entries, oldest first. One round trip. @throws AppError NOT_FOUND */
export async function getGoal(ctx: AuthedContext, id: string) {
  const [goals, entries] = await ctx.db.batch([
    ctx.db.select().from(wellnessGoals).where(myGoal(ctx, id)),
    ctx.db
      .select()
      .from(goalProgress)
      .where(and(eq(goalProgress.goalId, id), eq(goalProgress.userId, ctx.actor.id)))
      .orderBy(asc(goalProgress.date), asc(goalProgress.createdAt), asc(goalProgress.id)),
  ]);
  const goal = goals[0];
  if (!goal) throw notFound('Goal');
  return { ...goalView(goal), entries: entries.map(progressView) };
}

/**
 * Adds a progress entry to one of the caller's active goals; the goal is achieved when its progress
 * reaches the target. Two round trips (the goal, then the entry and the goal's new progress).
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (not active), VALIDATION_FAILED (a future date)
 */
export async function addProgress(ctx: AuthedContext, id: string, input: ProgressInput) {
  refuseFutureDate(ctx, input.date, 'date');
  const [goal] = await ctx.db.select().from(wellnessGoals).where(myGoal(ctx, id));
  if (!goal) throw notFound('Goal');
  if (goal.status !== 'active') throw notActive(goal.status);
  const now = ctx.clock.now().getTime();
  const progress = sql`${wellnessGoals.progress} + ${input.value}`;
  const reached = sql`${progress} >= ${wellnessGoals.targetValue}`;
  const entry = {
    id: ctx.ids.id('gpr'),
    goalId: id,
    userId: ctx.actor.id,
    value: input.value,
    date: input.date,
    note: input.note ?? null,
    createdAt: now,
  };
  // The goal changes only while still active, and the entry is written only if it did (a goal ended
  // by a concurrent request gets neither).
  const [goals, entries] = await ctx.db.batch([
    ctx.db
      .update(wellnessGoals)
      .set({
        progress,
        status: sql`case when ${reached} then 'achieved' else ${wellnessGoals.status} end`,
        endedAt: sql`case when ${reached} then ${now} else ${wellnessGoals.endedAt} end`,
        updatedAt: now,
      })
      .where(and(myGoal(ctx, id), eq(wellnessGoals.status, 'active')))
      .returning(),
    ctx.db
      .insert(goalProgress)
      .select(sql`select ${selectedRow(goalProgress, entry)} where changes() = 1`)
      .returning(),
  ]);
  if (!goals[0] || !entries[0]) throw new AppError('INVALID_TRANSITION', 'The goal is no longer active');
  return { goal: goalView(goals[0] as WellnessGoalRow), entry: progressView(entries[0] as GoalProgressRow) };
}

/**
 * Marks one of the caller's active goals achieved or abandoned. One round trip (the change, then the
 * goal read back to tell a missing goal from an ended one).
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (already ended)
 */
export async function endGoal(ctx: AuthedContext, id: string, status: 'achieved' | 'abandoned'): Promise<GoalView> {
  const now = ctx.clock.now().getTime();
  const [changed, goals] = await ctx.db.batch([
    ctx.db
      .update(wellnessGoals)
      .set({ status, endedAt: now, updatedAt: now })
      .where(and(myGoal(ctx, id), eq(wellnessGoals.status, 'active')))
      .returning(),
    ctx.db.select().from(wellnessGoals).where(myGoal(ctx, id)),
  ]);
  const goal = goals[0];
  if (!goal) throw notFound('Goal');
  if (!changed.length) throw notActive(goal.status);
  return goalView(goal);
}

/** A page of the goal templates, newest first, by category and horizon. One round trip. */
export function listTemplates(
  ctx: AuthedContext,
  query: { page: number; limit: number; category?: GoalTemplateRow['category']; horizon?: GoalTemplateRow['horizon'] },
) {
  return paginate(ctx.db, goalTemplates, {
    where: and(
      query.category ? eq(goalTemplates.category, query.category) : undefined,
      query.horizon ? eq(goalTemplates.horizon, query.horizon) : undefined,
    ),
    orderBy: [desc(goalTemplates.createdAt), desc(goalTemplates.id)],
    page: query.page,
    limit: query.limit,
    map: templateView,
  });
}

/** Proposes a goal template (a content manager). One round trip. */
export async function createTemplate(ctx: AuthedContext, input: CreateTemplateInput) {
  const [row] = await ctx.db
    .insert(goalTemplates)
    .values({ id: ctx.ids.id('gtp'), ...input, createdBy: ctx.actor.id, createdAt: ctx.clock.now().getTime() })
    .returning();
  return templateView(row as GoalTemplateRow);
}

/** Withdraws a goal template; goals made from it stay. One round trip. @throws AppError NOT_FOUND */
export async function deleteTemplate(ctx: AuthedContext, id: string): Promise<void> {
  const deleted = await ctx.db
    .delete(goalTemplates)
    .where(eq(goalTemplates.id, id))
    .returning({ id: goalTemplates.id });
  if (!deleted.length) throw notFound('Goal template');
}
