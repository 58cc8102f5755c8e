import { z } from '@hono/zod-openapi';
import { FEEDBACK_CATEGORIES, GOAL_CATEGORIES, GOAL_HORIZONS, GOAL_STATUSES } from '../../db/schema';
import { idParam, LocalDateSchema, PageQuery } from '../../http/openapi';

/** Longest feedback text, in characters. */
export const MAX_FEEDBACK_TEXT = 2000;
/** Longest span of a trends query, in days. */
export const MAX_TREND_DAYS = 366;

const LocalDate = LocalDateSchema.openapi({ example: '2026-11-30' });
const Score = z.number().int().min(0).max(100);
const OptionalScore = Score.nullable().optional();

export const GoalIdParam = idParam('gol', 'goal');
export const TemplateIdParam = idParam('gtp', 'goal template');
export const FeedbackIdParam = idParam('fbk', 'feedback');
export const ScoreDateParam = z.object({
  date: LocalDate.openapi({ param: { name: 'date', in: 'path' }, example: '2026-11-30' }),
});

// ---- health scores

export const RecordScoresBody = z
  .strictObject({
    overall: Score.openapi({ description: 'Overall, 0–100' }),
    sleep: OptionalScore,
    activity: OptionalScore,
    nutrition: OptionalScore,
    mood: OptionalScore,
    stress: OptionalScore.openapi({ description: '0–100, higher is better (less stressed), like the others' }),
  })
  .openapi('RecordHealthScores', { example: { overall: 72, sleep: 65, activity: 80, mood: 70 } });
export type RecordScoresInput = z.infer<typeof RecordScoresBody>;

const ScoreValues = {
  overall: z.number().int(),
  sleep: z.number().int().nullable(),
  activity: z.number().int().nullable(),
  nutrition: z.number().int().nullable(),
  mood: z.number().int().nullable(),
  stress: z.number().int().nullable(),
};

export const HealthScoreSchema = z
  .object({ date: z.string(), ...ScoreValues, createdAt: z.string(), updatedAt: z.string() })
  .openapi('HealthScore', {
    example: {
      date: '2026-11-30',
      overall: 72,
      sleep: 65,
      activity: 80,
      nutrition: null,
      mood: 70,
      stress: null,
      createdAt: '2026-11-30T20:00:00.000Z',
      updatedAt: '2026-11-30T20:00:00.000Z',
    },
  });
export type HealthScoreView = z.infer<typeof HealthScoreSchema>;

const DateRange = z.object({ from: LocalDate, to: LocalDate });
const rangeInOrder = (v: { from?: string; to?: string }) => !v.from || !v.to || v.from <= v.to;

export const ScoreListQuery = PageQuery.extend({ from: LocalDate.optional(), to: LocalDate.optional() })
  .refine(rangeInOrder, { message: '`from` must not be after `to`', path: ['from'] })
  .openapi({ description: 'Newest date first' });

export const TrendsQuery = DateRange.refine(rangeInOrder, {
  message: '`from` must not be after `to`',
  path: ['from'],
}).refine((v) => (Date.parse(v.to) - Date.parse(v.from)) / 86_400_000 < MAX_TREND_DAYS, {
  message: `At most ${MAX_TREND_DAYS} days`,
  path: ['to'],
});

const Averages = z
  .object({
    overall: z.number().nullable(),
    sleep: z.number().nullable(),
    activity: z.number().nullable(),
    nutrition: z.number().nullable(),
    mood: z.number().nullable(),
    stress: z.number().nullable(),
  })
  .openapi('HealthScoreAverages', { description: 'Averages rounded to one decimal; null with no value recorded' });

const TrendPeriod = z.object({
  start: z.string().openapi({ description: 'First day of the week (Monday) or month' }),
  end: z.string().openapi({ description: 'Last day of the week (Sunday) or month' }),
  days: z.number().int().openapi({ description: 'Dates recorded in the period (within the range)' }),
  averages: Averages,
});

const Trend = z.object({
  periods: z.array(TrendPeriod),
  change: Averages.openapi({ description: "Last period's average minus the first's; null when either has none" }),
});

export const TrendsSchema = z
  .object({ from: z.string(), to: z.string(), weekly: Trend, monthly: Trend })
  .openapi('HealthScoreTrends', {
    example: {
      from: '2026-11-01',
      to: '2026-12-31',
      weekly: {
        periods: [
          {
            start: '2026-11-30',
            end: '2026-12-06',
            days: 2,
            averages: { overall: 70, sleep: 60, activity: null, nutrition: null, mood: 75, stress: null },
          },
        ],
        change: { overall: 0, sleep: 0, activity: null, nutrition: null, mood: 0, stress: null },
      },
      monthly: {
        periods: [
          {
            start: '2026-11-01',
            end: '2026-11-30',
            days: 1,
            averages: { overall: 70, sleep: 60, activity: null, nutrition: null, mood: 75, stress: null },
          },
          {
            start: '2026-12-01',
            end: '2026-12-31',
            days: 1,
            averages: { overall: 74, sleep: 62, activity: null, nutrition: null, mood: 80, stress: null },
          },
        ],
        change: { overall: 4, sleep: 2, activity: null, nutrition: null, mood: 5, stress: null },
      },
    },
  });
export type TrendsView = z.infer<typeof TrendsSchema>;
export type AveragesView = z.infer<typeof Averages>;

// ---- goals

const Title = z.string().trim().min(1).max(200);
const Unit = z.string().trim().min(1).max(40);
const Target = z.number().positive().max(1_000_000_000);

export const CreateGoalBody = z
  .strictObject({
    title: Title,
    category: z.enum(GOAL_CATEGORIES),
    targetValue: Target,
    unit: Unit,
    dueDate: LocalDate.nullable().optional(),
    horizon: z.enum(GOAL_HORIZONS).openapi({ description: '`short` (days to weeks) or `long` (months)' }),
  })
  .openapi('CreateGoal', {
    example: {
      title: 'Walk 50 km',
      category: 'activity',
      targetValue: 50,
      unit: 'km',
      dueDate: '2026-12-31',
      horizon: 'short',
    },
  });
export type CreateGoalInput = z.infer<typeof CreateGoalBody>;

export const GoalFromTemplateBody = z
  .strictObject({
    title: Title.optional().openapi({ description: "Default: the template's" }),
    targetValue: Target.optional().openapi({ description: "Default: the template's suggested target" }),
    dueDate: LocalDate.nullable().optional(),
  })
  .openapi('GoalFromTemplate', { example: { targetValue: 40, dueDate: '2026-12-31' } });
export type GoalFromTemplateInput = z.infer<typeof GoalFromTemplateBody>;

export const GoalStatusBody = z
  .strictObject({ status: z.enum(['achieved', 'abandoned']) })
  .openapi('GoalStatusChange', { example: { status: 'abandoned' } });

export const ProgressBody = z
  .strictObject({
    value: z.number().positive().max(1_000_000_000).openapi({ description: 'How much more of the unit' }),
    date: LocalDate,
    note: z.string().trim().min(1).max(1000).nullable().optional(),
  })
  .openapi('GoalProgressInput', { example: { value: 5.5, date: '2026-11-30', note: 'Morning walk' } });
export type ProgressInput = z.infer<typeof ProgressBody>;

export const GoalListQuery = PageQuery.extend({
  status: z.enum(GOAL_STATUSES).optional(),
  horizon: z.enum(GOAL_HORIZONS).optional(),
});
export type GoalListQueryInput = z.infer<typeof GoalListQuery>;

const GOAL_EXAMPLE = {
  id: 'gol_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  templateId: null,
  title: 'Walk 50 km',
  category: 'activity' as const,
  targetValue: 50,
  unit: 'km',
  dueDate: '2026-12-31',
  horizon: 'short' as const,
  status: 'active' as const,
  progress: 5.5,
  endedAt: null,
  createdAt: '2026-11-30T20:00:00.000Z',
  updatedAt: '2026-11-30T20:00:00.000Z',
};

export const GoalSchema = z
  .object({
    id: z.string(),
    templateId: z.string().nullable(),
    title: z.string(),
    category: z.enum(GOAL_CATEGORIES),
    targetValue: z.number(),
    unit: z.string(),
    dueDate: z.string().nullable(),
    horizon: z.enum(GOAL_HORIZONS),
    status: z.enum(GOAL_STATUSES),
    progress: z.number().openapi({ description: 'The sum of the progress entries' }),
    endedAt: z.string().nullable().openapi({ description: 'When it was achieved or abandoned' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Goal', { example: GOAL_EXAMPLE });
export type GoalView = z.infer<typeof GoalSchema>;

const PROGRESS_EXAMPLE = {
  id: 'gpr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  value: 5.5,
  date: '2026-11-30',
  note: 'Morning walk',
  createdAt: '2026-11-30T20:00:00.000Z',
};
export const ProgressSchema = z
  .object({ id: z.string(), value: z.number(), date: z.string(), note: z.string().nullable(), createdAt: z.string() })
  .openapi('GoalProgress', { example: PROGRESS_EXAMPLE });

export const GoalDetailSchema = GoalSchema.extend({ entries: z.array(ProgressSchema) }).openapi('GoalDetail', {
  example: { ...GOAL_EXAMPLE, entries: [PROGRESS_EXAMPLE] },
});

export const ProgressAddedSchema = z
  .object({ goal: GoalSchema, entry: ProgressSchema })
  .openapi('GoalProgressAdded', { example: { goal: GOAL_EXAMPLE, entry: PROGRESS_EXAMPLE } });

// ---- goal templates

export const CreateTemplateBody = z
  .strictObject({
    title: Title,
    category: z.enum(GOAL_CATEGORIES),
    suggestedTarget: Target,
    unit: Unit,
    horizon: z.enum(GOAL_HORIZONS),
  })
  .openapi('CreateGoalTemplate', {
    example: {
      title: 'Sleep 8 hours, 20 nights',
      category: 'sleep',
      suggestedTarget: 20,
      unit: 'nights',
      horizon: 'short',
    },
  });
export type CreateTemplateInput = z.infer<typeof CreateTemplateBody>;

export const TemplateListQuery = PageQuery.extend({
  category: z.enum(GOAL_CATEGORIES).optional(),
  horizon: z.enum(GOAL_HORIZONS).optional(),
});

export const TemplateSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    category: z.enum(GOAL_CATEGORIES),
    suggestedTarget: z.number(),
    unit: z.string(),
    horizon: z.enum(GOAL_HORIZONS),
    createdAt: z.string(),
  })
  .openapi('GoalTemplate', {
    example: {
      id: 'gtp_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      title: 'Sleep 8 hours, 20 nights',
      category: 'sleep',
      suggestedTarget: 20,
      unit: 'nights',
      horizon: 'short',
      createdAt: '2026-11-30T20:00:00.000Z',
    },
  });

// ---- feedback

export const FeedbackBody = z
  .strictObject({
    rating: z.number().int().min(1).max(5),
    category: z.enum(FEEDBACK_CATEGORIES),
    text: z.string().trim().min(1).max(MAX_FEEDBACK_TEXT).nullable().optional(),
  })
  .openapi('CreateFeedback', {
    example: { rating: 4, category: 'app', text: 'Booking is quick; reminders come late.' },
  });
export type FeedbackInput = z.infer<typeof FeedbackBody>;

export const FeedbackSchema = z
  .object({
    id: z.string(),
    userId: z.string(),
    rating: z.number().int(),
    category: z.enum(FEEDBACK_CATEGORIES),
    text: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('Feedback', {
    example: {
      id: 'fbk_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      userId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      rating: 4,
      category: 'app',
      text: 'Booking is quick; reminders come late.',
      createdAt: '2026-11-30T20:00:00.000Z',
    },
  });

const Rating = z.coerce.number().int().min(1).max(5);
export const FeedbackListQuery = PageQuery.extend({
  category: z.enum(FEEDBACK_CATEGORIES).optional(),
  minRating: Rating.optional(),
  maxRating: Rating.optional(),
  from: LocalDate.optional().openapi({ description: 'Sent on or after this date (UTC)' }),
  to: LocalDate.optional().openapi({ description: 'Sent on or before this date (UTC)' }),
})
  .refine((v) => v.minRating === undefined || v.maxRating === undefined || v.minRating <= v.maxRating, {
    message: '`minRating` must not exceed `maxRating`',
    path: ['minRating'],
  })
  .refine(rangeInOrder, { message: '`from` must not be after `to`', path: ['from'] });
export type FeedbackListQueryInput = z.infer<typeof FeedbackListQuery>;
