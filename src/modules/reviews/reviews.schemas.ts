import { z } from '@hono/zod-openapi';
import { idParam, PageQuery } from '../../http/openapi';

/** Longest review comment, in characters. */
export const MAX_COMMENT = 2000;
/** Longest reply, appeal, flag or moderation reason, in characters. */
export const MAX_NOTE = 1000;

export const ReviewIdParam = idParam('rev', 'review');

const Stars = z.number().int().min(1).max(5);
const OptionalStars = Stars.nullable().optional();

const categoryShape = {
  punctuality: OptionalStars,
  bedsideManner: OptionalStars,
  communication: OptionalStars,
  waitTime: OptionalStars,
};

export const CreateReviewBody = z
  .strictObject({
    rating: Stars.openapi({ description: 'Overall, 1–5' }),
    categories: z.strictObject(categoryShape).optional().openapi({ description: 'Each 1–5, each optional' }),
    comment: z.string().trim().min(1).max(MAX_COMMENT).nullable().optional(),
    photoFileId: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: 'One of my uploaded images (purpose `content`)' }),
    anonymous: z.boolean().default(false).openapi({ description: 'Shown to the public without my name' }),
  })
  .openapi('CreateReview', {
    example: {
      rating: 5,
      categories: { punctuality: 4, bedsideManner: 5, communication: 5, waitTime: 3 },
      comment: 'Listened carefully and explained every option.',
      anonymous: false,
    },
  });
export type CreateReviewInput = z.infer<typeof CreateReviewBody>;

export const UpdateReviewBody = z
  .strictObject({
    rating: Stars.optional(),
    categories: z.strictObject(categoryShape).optional(),
    comment: z.string().trim().min(1).max(MAX_COMMENT).nullable().optional(),
    photoFileId: z.string().nullable().optional(),
    anonymous: z.boolean().optional(),
  })
  .openapi('UpdateReview', { example: { rating: 4, comment: 'Good, though the wait was long.' } });
export type UpdateReviewInput = z.infer<typeof UpdateReviewBody>;

const note = (example: string) => z.strictObject({ text: z.string().trim().min(1).max(MAX_NOTE).openapi({ example }) });

export const ReplyBody = note('Thank you for your kind words.').openapi('ReviewReply');
export const AppealBody = note('The review describes my visit accurately.').openapi('ReviewAppeal');
export const FlagBody = z
  .strictObject({ reason: z.string().trim().min(1).max(MAX_NOTE).openapi({ example: 'Not about a visit' }) })
  .openapi('ReviewFlag');
export const ModerationBody = z
  .strictObject({ reason: z.string().trim().min(1).max(MAX_NOTE).openapi({ example: 'Personal attack' }) })
  .openapi('ReviewModeration');

const Categories = z.object({
  punctuality: z.number().nullable(),
  bedsideManner: z.number().nullable(),
  communication: z.number().nullable(),
  waitTime: z.number().nullable(),
});

const ReplyView = z
  .object({ text: z.string(), at: z.string() })
  .nullable()
  .openapi({ description: "The doctor's public reply" });

export const PublicReviewSchema = z
  .object({
    id: z.string(),
    rating: z.number().int(),
    categories: Categories,
    comment: z.string().nullable(),
    photoFileId: z.string().nullable(),
    author: z
      .object({ name: z.string().nullable() })
      .nullable()
      .openapi({ description: 'Null for an anonymous review' }),
    reply: ReplyView,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('PublicReview', {
    example: {
      id: 'rev_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      rating: 5,
      categories: { punctuality: 4, bedsideManner: 5, communication: 5, waitTime: null },
      comment: 'Listened carefully.',
      photoFileId: null,
      author: { name: 'Ana Silva' },
      reply: null,
      createdAt: '2026-11-21T08:00:00.000Z',
      updatedAt: '2026-11-21T08:00:00.000Z',
    },
  });

export const ReviewSchema = z
  .object({
    id: z.string(),
    appointmentId: z.string(),
    patientId: z.string(),
    doctorId: z.string(),
    rating: z.number().int(),
    categories: Categories,
    comment: z.string().nullable(),
    photoFileId: z.string().nullable(),
    anonymous: z.boolean(),
    status: z.enum(['published', 'held', 'hidden']),
    heldReason: z.string().nullable().openapi({ description: '`contact-details` or `flagged-words` while held' }),
    moderation: z
      .object({ reason: z.string().nullable(), by: z.string().nullable(), at: z.string() })
      .nullable()
      .openapi({ description: "An admin's last hide or restore" }),
    flagCount: z.number().int(),
    reply: ReplyView,
    appeal: z.object({ text: z.string(), at: z.string() }).nullable(),
    editableUntil: z.string().openapi({ description: 'The author may edit until then' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Review', {
    example: {
      id: 'rev_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      appointmentId: 'apt_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      patientId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      doctorId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CF',
      rating: 5,
      categories: { punctuality: 4, bedsideManner: 5, communication: 5, waitTime: null },
      comment: 'Listened carefully.',
      photoFileId: null,
      anonymous: false,
      status: 'published',
      heldReason: null,
      moderation: null,
      flagCount: 0,
      reply: null,
      appeal: null,
      editableUntil: '2026-12-05T08:00:00.000Z',
      createdAt: '2026-11-21T08:00:00.000Z',
      updatedAt: '2026-11-21T08:00:00.000Z',
    },
  });
export type ReviewView = z.infer<typeof ReviewSchema>;

export const FlaggedSchema = z
  .object({ reviewId: z.string(), flagged: z.literal(true) })
  .openapi('ReviewFlagged', { example: { reviewId: 'rev_01JF8ZS5X0V6M3A2Q9K1T7B4CE', flagged: true } });

export const ADMIN_FILTERS = ['held', 'flagged', 'hidden', 'appealed', 'published'] as const;
export const AdminReviewQuery = PageQuery.extend({
  status: z.enum(ADMIN_FILTERS).default('held').openapi({
    description:
      '`held` (by the filter), `flagged` (published with at least one flag), `hidden`, `appealed` (hidden with an appeal), `published`',
  }),
});
export type AdminReviewQueryInput = z.infer<typeof AdminReviewQuery>;
