import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * The wellness module's tables (src/modules/wellness/): a user's health scores per local date, their
 * goals with progress entries, the goal templates content managers propose, and users' feedback.
 */

/** The categories a health score is given for, each 0–100 and each optional; `overall` is required. */
export const SCORE_CATEGORIES = ['sleep', 'activity', 'nutrition', 'mood', 'stress'] as const;
export type ScoreCategory = (typeof SCORE_CATEGORIES)[number];

/** One user's scores for one local date (`YYYY-MM-DD`): recording the same date again replaces them. */
export const healthScores = sqliteTable(
  'health_scores',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    /** The user's local calendar date, `YYYY-MM-DD`. */
    date: text('date').notNull(),
    overall: integer('overall').notNull(),
    sleep: integer('sleep'),
    activity: integer('activity'),
    nutrition: integer('nutrition'),
    mood: integer('mood'),
    stress: integer('stress'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('health_scores_user_date_idx').on(t.userId, t.date),
    // The stats rollups: average scores per day.
    index('health_scores_date_idx').on(t.date),
  ],
);

export const GOAL_CATEGORIES = ['sleep', 'activity', 'nutrition', 'mood', 'stress', 'weight', 'other'] as const;
export type GoalCategory = (typeof GOAL_CATEGORIES)[number];
export const GOAL_HORIZONS = ['short', 'long'] as const;
export type GoalHorizon = (typeof GOAL_HORIZONS)[number];
export const GOAL_STATUSES = ['active', 'achieved', 'abandoned'] as const;
export type GoalStatus = (typeof GOAL_STATUSES)[number];

/**
 * A user's goal: reach `target_value` `unit` by `due_date`. `progress` is the sum of its progress
 * entries; the goal becomes `achieved` when it reaches the target (or when the user says so), or
 * `abandoned`; either ends it.
 */
export const wellnessGoals = sqliteTable(
  'wellness_goals',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    /** The template it was made from, if any (the template may since have been withdrawn). */
    templateId: text('template_id'),
    title: text('title').notNull(),
    category: text('category', { enum: GOAL_CATEGORIES }).notNull(),
    targetValue: real('target_value').notNull(),
    unit: text('unit').notNull(),
    dueDate: text('due_date'),
    horizon: text('horizon', { enum: GOAL_HORIZONS }).notNull(),
    status: text('status', { enum: GOAL_STATUSES }).notNull().default('active'),
    progress: real('progress').notNull().default(0),
    /** When it was achieved or abandoned. */
    endedAt: integer('ended_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('wellness_goals_user_idx').on(t.userId, t.status, t.createdAt)],
);

/** One progress entry of a goal: `value` more of the goal's unit, on a local date. */
export const goalProgress = sqliteTable(
  'goal_progress',
  {
    id: text('id').primaryKey(),
    goalId: text('goal_id').notNull(),
    userId: text('user_id').notNull(),
    value: real('value').notNull(),
    date: text('date').notNull(),
    note: text('note'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('goal_progress_goal_idx').on(t.goalId, t.date), index('goal_progress_user_idx').on(t.userId)],
);

/** A goal proposed by a content manager; users make goals of their own from it. */
export const goalTemplates = sqliteTable('goal_templates', {
  id: text('id').primaryKey(),
  title: text('title').notNull(),
  category: text('category', { enum: GOAL_CATEGORIES }).notNull(),
  suggestedTarget: real('suggested_target').notNull(),
  unit: text('unit').notNull(),
  horizon: text('horizon', { enum: GOAL_HORIZONS }).notNull(),
  /** The admin who proposed it (an id only; kept when that account is erased). */
  createdBy: text('created_by').notNull(),
  createdAt: integer('created_at').notNull(),
});

export const FEEDBACK_CATEGORIES = ['app', 'appointments', 'doctors', 'billing', 'other'] as const;
export type FeedbackCategory = (typeof FEEDBACK_CATEGORIES)[number];

/** What a user thinks of the service: a rating 1–5, a category and optional text. */
export const wellnessFeedback = sqliteTable(
  'wellness_feedback',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    rating: integer('rating').notNull(),
    category: text('category', { enum: FEEDBACK_CATEGORIES }).notNull(),
    text: text('text'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('wellness_feedback_created_idx').on(t.createdAt), index('wellness_feedback_user_idx').on(t.userId)],
);

export type HealthScoreRow = typeof healthScores.$inferSelect;
export type WellnessGoalRow = typeof wellnessGoals.$inferSelect;
export type GoalProgressRow = typeof goalProgress.$inferSelect;
export type GoalTemplateRow = typeof goalTemplates.$inferSelect;
export type WellnessFeedbackRow = typeof wellnessFeedback.$inferSelect;

export const QUESTION_TYPES = ['single-choice', 'multiple-choice', 'scale', 'free-text'] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];
export const QUIZ_STATUSES = ['draft', 'published', 'archived'] as const;
export type QuizStatus = (typeof QUIZ_STATUSES)[number];

/** One option of a choice question: the key an answer names, what the user reads, and what it scores. */
export interface QuizOption {
  value: string;
  label: string;
  score: number;
}

/** A result band: a score range (inclusive) with its label and advice. A quiz's bands cover its score range. */
export interface QuizBand {
  min: number;
  max: number;
  label: string;
  advice: string;
}

/** One answer as stored on a submitted attempt, with what it scored. */
export interface QuizAnswer {
  questionId: string;
  value: string | string[] | number;
  score: number;
}

/**
 * A question a content manager wrote. Choice questions score their chosen options, a scale question
 * scores its value (`scale_min`..`scale_max`), a free-text question scores 0. Questions never change
 * once written (a quiz made of them keeps its meaning).
 */
export const quizQuestions = sqliteTable('quiz_questions', {
  id: text('id').primaryKey(),
  type: text('type', { enum: QUESTION_TYPES }).notNull(),
  prompt: text('prompt').notNull(),
  /** Choice questions' options; empty for the others. */
  options: text('options', { mode: 'json' }).$type<QuizOption[]>().notNull(),
  scaleMin: integer('scale_min'),
  scaleMax: integer('scale_max'),
  /** The admin who wrote it (an id only; kept when that account is erased). */
  createdBy: text('created_by').notNull(),
  createdAt: integer('created_at').notNull(),
});

/** A quiz: ordered questions (quiz_items) and result bands; draft → published → archived. */
export const quizzes = sqliteTable(
  'quizzes',
  {
    id: text('id').primaryKey(),
    title: text('title').notNull(),
    description: text('description'),
    status: text('status', { enum: QUIZ_STATUSES }).notNull().default('draft'),
    bands: text('bands', { mode: 'json' }).$type<QuizBand[]>().notNull(),
    /** The admin who assembled it (an id only; kept when that account is erased). */
    createdBy: text('created_by').notNull(),
    publishedAt: integer('published_at'),
    archivedAt: integer('archived_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('quizzes_status_idx').on(t.status, t.createdAt)],
);

/** The questions of a quiz, in order (position 0 first). */
export const quizItems = sqliteTable(
  'quiz_items',
  {
    quizId: text('quiz_id').notNull(),
    questionId: text('question_id').notNull(),
    position: integer('position').notNull(),
  },
  (t) => [primaryKey({ columns: [t.quizId, t.position] })],
);

/** A user's attempt at a quiz: started, then submitted once with its answers, score and band. */
export const quizAttempts = sqliteTable(
  'quiz_attempts',
  {
    id: text('id').primaryKey(),
    quizId: text('quiz_id').notNull(),
    userId: text('user_id').notNull(),
    answers: text('answers', { mode: 'json' }).$type<QuizAnswer[]>(),
    score: integer('score'),
    bandLabel: text('band_label'),
    bandAdvice: text('band_advice'),
    startedAt: integer('started_at').notNull(),
    submittedAt: integer('submitted_at'),
  },
  (t) => [index('quiz_attempts_user_idx').on(t.userId, t.quizId, t.startedAt)],
);

export type QuizQuestionRow = typeof quizQuestions.$inferSelect;
export type QuizRow = typeof quizzes.$inferSelect;
export type QuizAttemptRow = typeof quizAttempts.$inferSelect;
