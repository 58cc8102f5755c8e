import { z } from '@hono/zod-openapi';
import { QUESTION_TYPES, QUIZ_STATUSES } from '../../db/schema';
import { idParam, PageQuery } from '../../http/openapi';

/** Most options of a choice question, most questions of a quiz, most bands of a quiz. */
export const MAX_OPTIONS = 20;
export const MAX_QUESTIONS = 50;
export const MAX_BANDS = 10;
/** Longest free-text answer, in characters. */
export const MAX_FREE_TEXT = 2000;

export const QuestionIdParam = idParam('qqn', 'question');
export const QuizIdParam = idParam('qiz', 'quiz');
export const AttemptIdParam = idParam('qat', 'quiz attempt');

const questionId = z.string().regex(/^qqn_[0-9A-HJKMNP-TV-Z]{26}$/, 'Not a question id');
const Points = z.number().int().min(0).max(1000);

const Option = z.strictObject({
  value: z.string().min(1).max(60),
  label: z.string().min(1).max(200),
  score: Points,
});

export const CreateQuestionBody = z
  .strictObject({
    type: z.enum(QUESTION_TYPES),
    prompt: z.string().trim().min(1).max(500),
    options: z.array(Option).max(MAX_OPTIONS).optional(),
    scaleMin: Points.optional(),
    scaleMax: Points.optional(),
  })
  .superRefine((v, ctx) => {
    const choice = v.type === 'single-choice' || v.type === 'multiple-choice';
    if (choice) {
      const values = (v.options ?? []).map((o) => o.value);
      if (values.length < 2) ctx.addIssue({ code: 'custom', path: ['options'], message: 'At least two options' });
      if (new Set(values).size !== values.length)
        ctx.addIssue({ code: 'custom', path: ['options'], message: 'Option values must be distinct' });
    } else if (v.options !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['options'], message: 'Only choice questions have options' });
    }
    if (v.type === 'scale') {
      if (v.scaleMin === undefined || v.scaleMax === undefined || v.scaleMin >= v.scaleMax)
        ctx.addIssue({ code: 'custom', path: ['scaleMax'], message: 'A scale needs scaleMin < scaleMax' });
    } else if (v.scaleMin !== undefined || v.scaleMax !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['scaleMin'], message: 'Only scale questions have a range' });
    }
  })
  .openapi('CreateQuizQuestion', {
    example: {
      type: 'single-choice',
      prompt: 'How often do you feel rested when you wake up?',
      options: [
        { value: 'often', label: 'Most days', score: 0 },
        { value: 'sometimes', label: 'Some days', score: 2 },
        { value: 'rarely', label: 'Rarely', score: 4 },
      ],
    },
  });
export type CreateQuestionInput = z.infer<typeof CreateQuestionBody>;

const OptionOut = z.object({ value: z.string(), label: z.string(), score: z.number().int() });

export const QuestionSchema = z
  .object({
    id: z.string(),
    type: z.enum(QUESTION_TYPES),
    prompt: z.string(),
    options: z.array(OptionOut),
    scaleMin: z.number().int().nullable(),
    scaleMax: z.number().int().nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .openapi('QuizQuestion', {
    example: {
      id: 'qqn_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      type: 'scale',
      prompt: 'How stressed did you feel this week (0 = not at all, 10 = very)?',
      options: [],
      scaleMin: 0,
      scaleMax: 10,
      createdBy: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CF',
      createdAt: '2026-12-01T09:00:00.000Z',
    },
  });

export const QuestionListQuery = PageQuery.extend({ type: z.enum(QUESTION_TYPES).optional() });

const Band = z.strictObject({
  min: z.number().int().min(0),
  max: z.number().int().min(0),
  label: z.string().trim().min(1).max(80),
  advice: z.string().trim().min(1).max(2000),
});

export const QuizBody = z
  .strictObject({
    title: z.string().trim().min(1).max(200),
    description: z.string().max(2000).nullable().optional(),
    questionIds: z
      .array(questionId)
      .min(1)
      .max(MAX_QUESTIONS)
      .refine((ids) => new Set(ids).size === ids.length, 'A question appears once'),
    bands: z.array(Band).min(1).max(MAX_BANDS),
  })
  .openapi('QuizInput', {
    description:
      'The questions in order, and bands covering every score the questions can add up to (sorted, no gap, no overlap).',
    example: {
      title: 'Sleep check',
      description: 'Three questions on how you sleep.',
      questionIds: ['qqn_01JF8ZS5X0V6M3A2Q9K1T7B4CE'],
      bands: [
        { min: 0, max: 3, label: 'low risk', advice: 'Keep your routine.' },
        { min: 4, max: 7, label: 'moderate risk', advice: 'Try a fixed bedtime.' },
        { min: 8, max: 10, label: 'high risk', advice: 'Consider talking to a doctor.' },
      ],
    },
  });
export type QuizInput = z.infer<typeof QuizBody>;

export const QuizStatusBody = z
  .strictObject({ status: z.enum(['published', 'archived']) })
  .openapi('QuizStatusChange', { example: { status: 'published' } });

const BandOut = z.object({ min: z.number().int(), max: z.number().int(), label: z.string(), advice: z.string() });
const bandExample = [
  { min: 0, max: 3, label: 'low risk', advice: 'Keep your routine.' },
  { min: 4, max: 10, label: 'high risk', advice: 'Consider talking to a doctor.' },
];

const quizFields = {
  id: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  status: z.enum(QUIZ_STATUSES),
  publishedAt: z.string().nullable(),
  createdAt: z.string(),
};
const quizExample = {
  id: 'qiz_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  title: 'Stress check',
  description: 'One question on your week.',
  status: 'published' as const,
  publishedAt: '2026-12-01T09:05:00.000Z',
  createdAt: '2026-12-01T09:00:00.000Z',
};

export const QuizSummarySchema = z.object(quizFields).openapi('QuizSummary', { example: quizExample });

/** A question as users see it: its options without their scores. */
const PublicQuestion = z.object({
  id: z.string(),
  type: z.enum(QUESTION_TYPES),
  prompt: z.string(),
  options: z.array(z.object({ value: z.string(), label: z.string() })),
  scaleMin: z.number().int().nullable(),
  scaleMax: z.number().int().nullable(),
});
const publicQuestionExample = {
  id: 'qqn_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  type: 'scale' as const,
  prompt: 'How stressed did you feel this week (0 = not at all, 10 = very)?',
  options: [],
  scaleMin: 0,
  scaleMax: 10,
};

export const QuizSchema = z
  .object({ ...quizFields, questions: z.array(PublicQuestion), bands: z.array(BandOut) })
  .openapi('Quiz', { example: { ...quizExample, questions: [publicQuestionExample], bands: bandExample } });

export const AdminQuizSchema = z
  .object({
    ...quizFields,
    archivedAt: z.string().nullable(),
    createdBy: z.string(),
    questions: z.array(QuestionSchema),
    bands: z.array(BandOut),
    scoreRange: z.object({ min: z.number().int(), max: z.number().int() }),
  })
  .openapi('AdminQuiz', {
    example: {
      ...quizExample,
      archivedAt: null,
      createdBy: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CF',
      questions: [
        {
          ...publicQuestionExample,
          createdBy: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CF',
          createdAt: '2026-12-01T09:00:00.000Z',
        },
      ],
      bands: bandExample,
      scoreRange: { min: 0, max: 10 },
    },
  });

export const QuizListQuery = PageQuery;

const AnswerValue = z.union([z.string().max(MAX_FREE_TEXT), z.array(z.string().max(60)).max(MAX_OPTIONS), z.number()]);

export const SubmitBody = z
  .strictObject({
    answers: z
      .array(z.strictObject({ questionId, value: AnswerValue }))
      .min(1)
      .max(MAX_QUESTIONS),
  })
  .openapi('QuizAnswers', {
    description:
      "One answer per question of the quiz: an option's `value` (single choice), a list of them (multiple choice), an integer in the range (scale), or text (free text).",
    example: { answers: [{ questionId: 'qqn_01JF8ZS5X0V6M3A2Q9K1T7B4CE', value: 6 }] },
  });
export type SubmitInput = z.infer<typeof SubmitBody>;

export const AttemptSchema = z
  .object({
    id: z.string(),
    quizId: z.string(),
    status: z.enum(['started', 'submitted']),
    answers: z
      .array(
        z.object({
          questionId: z.string(),
          value: z.union([z.string(), z.array(z.string()), z.number()]),
          score: z.number().int(),
        }),
      )
      .nullable(),
    score: z.number().int().nullable(),
    band: z.object({ label: z.string(), advice: z.string() }).nullable(),
    startedAt: z.string(),
    submittedAt: z.string().nullable(),
  })
  .openapi('QuizAttempt', {
    example: {
      id: 'qat_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      quizId: 'qiz_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      status: 'submitted',
      answers: [{ questionId: 'qqn_01JF8ZS5X0V6M3A2Q9K1T7B4CE', value: 6, score: 6 }],
      score: 6,
      band: { label: 'high risk', advice: 'Consider talking to a doctor.' },
      startedAt: '2026-12-02T10:00:00.000Z',
      submittedAt: '2026-12-02T10:03:00.000Z',
    },
  });
export type AttemptView = z.infer<typeof AttemptSchema>;
