import { z } from '@hono/zod-openapi';
import { CAREGIVER_REQUEST_STATUSES, DOSE_STATUSES, SCHEDULE_KINDS } from '../../db/schema';
import { PageQuery } from '../../http/openapi';
import { FreeText } from '../appointments/appointments.schemas';

/**
 * Shortest non-empty suggestions search: a single letter would page through the whole user base. An
 * empty search is allowed: it answers only the caller's own network (caregiver-lists.service.ts).
 */
export const MIN_SEARCH_LENGTH = 2;
/** Longest optional message on a caregiver request. */
export const MAX_REQUEST_MESSAGE = 500;
/** Longest caregiver note. */
export const MAX_NOTE_BODY = 5000;

const ID_BODY = '[0-9A-HJKMNP-TV-Z]{26}';
const prefixedId = (prefix: string, what: string) =>
  z.string().regex(new RegExp(`^${prefix}_${ID_BODY}$`), `Not a ${what} id`);

export const UserId = prefixedId('usr', 'user');
export const RequestId = prefixedId('cgr', 'caregiver request');
export const LinkId = prefixedId('cgl', 'relationship');
export const NoteId = prefixedId('cgn', 'note');
const FileId = prefixedId('fil', 'file');

const pathParam = <T extends z.ZodString>(schema: T, name: string, example: string) =>
  schema.openapi({ param: { name, in: 'path' }, example });

// ---- inputs (REST bodies and socket `data`) --------------------------------------------------------

export const SendRequestBody = z
  .strictObject({
    receiverId: UserId.openapi({ description: 'Who I ask to become my caregiver' }),
    message: FreeText(MAX_REQUEST_MESSAGE).optional(),
  })
  .openapi('SendCaregiverRequest', {
    example: { receiverId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE', message: 'Could you keep an eye on my medicines?' },
  });

export type SendRequestInput = z.infer<typeof SendRequestBody>;

export const RESPONSE_STATUSES = ['accepted', 'rejected'] as const;
export type ResponseStatus = (typeof RESPONSE_STATUSES)[number];

export const UpdateStatusBody = z
  .strictObject({ status: z.enum(RESPONSE_STATUSES) })
  .openapi('UpdateCaregiverRequest', { example: { status: 'accepted' } });

export const SuggestionsQuery = PageQuery.extend({
  search: z
    .string()
    .trim()
    .max(100)
    .refine((s) => s === '' || s.length >= MIN_SEARCH_LENGTH, `Type at least ${MIN_SEARCH_LENGTH} characters, or none`)
    .optional()
    .default('')
    .openapi({
      description:
        `Part of a name (case-insensitive, at least ${MIN_SEARCH_LENGTH} characters), or an exact email address. ` +
        'Empty or absent: only people I already share the caregiver network with.',
      example: 'maria',
    }),
});

export type SuggestionsInput = z.output<typeof SuggestionsQuery>;

export const CreateNoteBody = z
  .strictObject({
    body: z
      .string()
      .trim()
      .min(1)
      .max(MAX_NOTE_BODY)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the rule is exactly about control characters
      .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'Must not contain control characters'),
    fileId: FileId.optional().openapi({
      description: 'A file I uploaded with POST /api/v1/files (purpose `attachment`)',
    }),
  })
  .openapi('CreateCaregiverNote', {
    example: { body: 'Skipped the evening dose, felt dizzy. Doctor called.', fileId: 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE' },
  });

export type CreateNoteInput = z.infer<typeof CreateNoteBody>;

// ---- path parameters ---------------------------------------------------------------------------------

export const RequestIdParam = z.object({ id: pathParam(RequestId, 'id', 'cgr_01JF8ZS5X0V6M3A2Q9K1T7B4CE') });
export const CaregiverIdParam = z.object({
  caregiverId: pathParam(UserId, 'caregiverId', 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE'),
});
export const PatientIdParam = z.object({ patientId: pathParam(UserId, 'patientId', 'usr_01DEMD0PAT1ENT000000000000') });
export const LinkIdParam = z.object({ id: pathParam(LinkId, 'id', 'cgl_01JF8ZS5X0V6M3A2Q9K1T7B4CE') });
export const NoteFileParams = LinkIdParam.extend({
  noteId: pathParam(NoteId, 'noteId', 'cgn_01JF8ZS5X0V6M3A2Q9K1T7B4CE'),
});

// ---- views ---------------------------------------------------------------------------------------------

const PersonSchema = z
  .object({ id: z.string(), name: z.string(), role: z.enum(['user', 'caregiver']) })
  .openapi('CaregiverPerson', {
    description: 'Another account as the caregiver network shows it: never an email or a phone number.',
    example: { id: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE', name: 'Maria Lopes', role: 'caregiver' },
  });

export type PersonView = z.infer<typeof PersonSchema>;

const requestExample = {
  id: 'cgr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  requesterId: 'usr_01DEMD0PAT1ENT000000000000',
  receiverId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  status: 'pending' as const,
  message: 'Could you keep an eye on my medicines?',
  createdAt: '2026-01-15T10:30:00.000Z',
  respondedAt: null,
};

export const CaregiverRequestSchema = z
  .object({
    id: z.string(),
    requesterId: z.string().openapi({ description: 'The patient asking for care' }),
    receiverId: z.string().openapi({ description: 'The account asked to become the caregiver' }),
    status: z.enum(CAREGIVER_REQUEST_STATUSES),
    message: z.string().nullable(),
    createdAt: z.string(),
    respondedAt: z.string().nullable(),
  })
  .openapi('CaregiverRequest', { example: requestExample });

export type CaregiverRequestView = z.infer<typeof CaregiverRequestSchema>;

const PendingRequestSchema = CaregiverRequestSchema.extend({
  user: PersonSchema.openapi({
    description: 'The other party: the requester when incoming, the receiver when outgoing',
  }),
}).openapi('PendingCaregiverRequest', {
  example: { ...requestExample, user: { id: 'usr_01DEMD0PAT1ENT000000000000', name: 'Ana Silva', role: 'user' } },
});

export type PendingRequestView = z.infer<typeof PendingRequestSchema>;

export const PendingRequestsSchema = z
  .object({ incoming: z.array(PendingRequestSchema), outgoing: z.array(PendingRequestSchema) })
  .openapi('PendingCaregiverRequests', {
    example: {
      incoming: [
        { ...requestExample, user: { id: 'usr_01DEMD0PAT1ENT000000000000', name: 'Ana Silva', role: 'user' } },
      ],
      outgoing: [],
    },
  });

export type PendingRequestsView = z.infer<typeof PendingRequestsSchema>;

const linkExample = {
  id: 'cgl_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  patientId: 'usr_01DEMD0PAT1ENT000000000000',
  caregiverId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  since: '2026-01-15T10:35:00.000Z',
  endedAt: null,
  endedBy: null,
};

export const LinkSchema = z
  .object({
    id: z.string(),
    patientId: z.string(),
    caregiverId: z.string(),
    since: z.string(),
    endedAt: z.string().nullable(),
    endedBy: z.string().nullable(),
  })
  .openapi('CaregiverLink', { example: linkExample });

export type LinkView = z.infer<typeof LinkSchema>;

export const UpdateStatusResultSchema = z
  .object({
    request: CaregiverRequestSchema,
    link: LinkSchema.nullable().openapi({ description: 'The new relationship when accepted; null when rejected' }),
  })
  .openapi('CaregiverRequestAnswer', {
    example: {
      request: { ...requestExample, status: 'accepted', respondedAt: '2026-01-15T10:35:00.000Z' },
      link: linkExample,
    },
  });

export type UpdateStatusResult = z.infer<typeof UpdateStatusResultSchema>;

export const SuggestionSchema = PersonSchema.openapi('CaregiverSuggestion', {
  example: { id: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE', name: 'Maria Lopes', role: 'caregiver' },
});

export const RelationshipSchema = z
  .object({
    linkId: z.string(),
    user: PersonSchema.openapi({ description: 'My caregiver, or the patient I care for' }),
    since: z.string(),
  })
  .openapi('CaregiverRelationship', {
    example: {
      linkId: 'cgl_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      user: { id: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE', name: 'Maria Lopes', role: 'caregiver' },
      since: '2026-01-15T10:35:00.000Z',
    },
  });

export type RelationshipView = z.infer<typeof RelationshipSchema>;

export const OverviewDoseSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable().openapi({ description: 'Medicine or supplement; null if the schedule was deleted' }),
    kind: z.enum(SCHEDULE_KINDS).nullable(),
    dosage: z.string().nullable(),
    quantityPerDose: z.number().int().nullable(),
    localTime: z.string(),
    scheduledAt: z.string(),
    status: z.enum(DOSE_STATUSES),
    takenAt: z.string().nullable(),
  })
  .openapi('CaregiverOverviewDose');

export type OverviewDoseView = z.infer<typeof OverviewDoseSchema>;

export const OverviewAppointmentSchema = z
  .object({
    id: z.string(),
    startsAt: z.string(),
    endsAt: z.string(),
    timeZone: z.string(),
    localStart: z.string(),
    status: z.string(),
    type: z.string(),
    doctor: z.object({ id: z.string(), name: z.string().nullable() }),
  })
  .openapi('CaregiverOverviewAppointment');

export type OverviewAppointmentView = z.infer<typeof OverviewAppointmentSchema>;

export const PatientOverviewSchema = z
  .object({
    patient: z.object({ id: z.string(), name: z.string() }),
    linkId: z.string(),
    since: z.string(),
    today: z.object({
      date: z.string().openapi({ description: 'Today in the patient’s time zone' }),
      timeZone: z.string().openapi({ description: 'The patient’s profile time zone, else UTC' }),
      doses: z.array(OverviewDoseSchema),
    }),
    upcomingAppointments: z.array(OverviewAppointmentSchema),
  })
  .openapi('CaregiverPatientOverview', {
    example: {
      patient: { id: 'usr_01DEMD0PAT1ENT000000000000', name: 'Ana Silva' },
      linkId: 'cgl_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      since: '2026-01-15T10:35:00.000Z',
      today: {
        date: '2026-01-20',
        timeZone: 'Europe/Lisbon',
        doses: [
          {
            id: 'dos_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
            name: 'Metformin',
            kind: 'medicine',
            dosage: '500 mg',
            quantityPerDose: 1,
            localTime: '08:00',
            scheduledAt: '2026-01-20T08:00:00.000Z',
            status: 'taken',
            takenAt: '2026-01-20T08:04:00.000Z',
          },
        ],
      },
      upcomingAppointments: [
        {
          id: 'apt_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
          startsAt: '2026-01-22T09:00:00.000Z',
          endsAt: '2026-01-22T09:30:00.000Z',
          timeZone: 'Europe/Lisbon',
          localStart: '2026-01-22T09:00',
          status: 'confirmed',
          type: 'video',
          doctor: { id: 'usr_01DEMD0D0CT0R0000000000000', name: 'Dr. João Costa' },
        },
      ],
    },
  });

export type PatientOverview = z.infer<typeof PatientOverviewSchema>;

export const NoteSchema = z
  .object({
    id: z.string(),
    linkId: z.string(),
    author: z.object({ id: z.string(), name: z.string().nullable() }),
    body: z.string(),
    file: z
      .object({ id: z.string(), contentType: z.string(), size: z.number().int(), fileName: z.string().nullable() })
      .nullable()
      .openapi({ description: 'The attachment; null when none, or when its author has since deleted the file' }),
    createdAt: z.string(),
  })
  .openapi('CaregiverNote', {
    example: {
      id: 'cgn_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      linkId: 'cgl_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      author: { id: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE', name: 'Maria Lopes' },
      body: 'Skipped the evening dose, felt dizzy. Doctor called.',
      file: { id: 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE', contentType: 'image/png', size: 20480, fileName: 'bp.png' },
      createdAt: '2026-01-20T19:10:00.000Z',
    },
  });

export type NoteView = z.infer<typeof NoteSchema>;

// ---- socket `data` ---------------------------------------------------------------------------------------

/** `request:updateStatus` data. */
export const SocketUpdateStatusData = z.strictObject({ requestId: RequestId, status: z.enum(RESPONSE_STATUSES) });

/** `request:getAllPending` data: nothing (an empty object, or no data at all). */
export const SocketPendingData = z.strictObject({}).optional();

/** `user:getSuggestedUsers` data: the same search and paging as GET /caregiver/suggestions. */
export const SocketSuggestionsData = z.strictObject({
  search: SuggestionsQuery.shape.search,
  page: z.number().int().min(1).max(100_000).default(1),
  limit: z.number().int().min(1).max(100).default(20),
});

/**
 * `request:removeCaregiver` data: `{ caregiverId }` when the patient removes a caregiver, or
 * `{ patientId }` when a caregiver stops caring for a patient; exactly one of them.
 */
export const SocketRemoveData = z
  .strictObject({ caregiverId: UserId.optional(), patientId: UserId.optional() })
  .refine((d) => (d.caregiverId === undefined) !== (d.patientId === undefined), {
    message: 'Give exactly one of caregiverId and patientId',
    path: ['caregiverId'],
  });
