import { z } from '@hono/zod-openapi';
import { WAITLIST_ENTRY_STATUSES, WAITLIST_OFFER_STATUSES } from '../../db/schema';
import { idParam, LocalDateSchema, LocalTimeSchema, PageQuery } from '../../http/openapi';

/** Most days one entry's date range spans, both ends included. */
export const MAX_RANGE_DAYS = 60;
/** Most live (`waiting`) entries one patient may have at once. */
export const MAX_LIVE_ENTRIES = 5;

const DOCTOR = 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE';
const PATIENT = 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CF';
const SERVICE = 'svc_01JF8ZS5X0V6M3A2Q9K1T7B4CE';
const ENTRY = 'wle_01JF8ZS5X0V6M3A2Q9K1T7B4CE';

/** Whose entry or offer it is, and for which doctor and service: shared by both views. */
const Parties = { patientId: z.string(), doctorId: z.string(), serviceId: z.string() };
const PARTIES_EXAMPLE = { patientId: PATIENT, doctorId: DOCTOR, serviceId: SERVICE };

export const EntryIdParam = idParam('wle', 'waitlist entry');
export const OfferIdParam = idParam('wlo', 'waitlist offer');

const LocalDate = LocalDateSchema.openapi({ example: '2026-03-24', description: "A date in the doctor's time zone" });
const LocalTime = LocalTimeSchema.openapi({
  example: '09:00',
  description: "A wall-clock time in the doctor's time zone",
});

export const CreateEntryBody = z
  .strictObject({
    doctorId: z.string().min(1).max(64).openapi({ example: DOCTOR }),
    serviceId: z.string().min(1).max(64).openapi({ example: SERVICE, description: 'The service to book (its length)' }),
    patientId: z.string().min(1).max(64).optional().openapi({
      example: PATIENT,
      description: 'Staff only: the patient to put on the list (patients leave it out)',
    }),
    fromDate: LocalDate,
    toDate: LocalDate,
    timeFrom: LocalTime.optional(),
    timeTo: LocalTime.optional().openapi({ example: '12:00' }),
  })
  .openapi('CreateWaitlistEntry', {
    example: {
      doctorId: DOCTOR,
      serviceId: SERVICE,
      fromDate: '2026-03-24',
      toDate: '2026-04-07',
      timeFrom: '09:00',
      timeTo: '12:00',
    },
  });
export type CreateEntryInput = z.infer<typeof CreateEntryBody>;

export const OfferSchema = z
  .object({
    id: z.string(),
    entryId: z.string(),
    ...Parties,
    startsAt: z.string(),
    endsAt: z.string(),
    holdId: z.string().openapi({ description: 'Book with it: POST /api/v1/appointments with this `holdId`' }),
    status: z.enum(WAITLIST_OFFER_STATUSES),
    expiresAt: z.string(),
    createdAt: z.string(),
  })
  .openapi('WaitlistOffer', {
    example: {
      id: 'wlo_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      entryId: ENTRY,
      ...PARTIES_EXAMPLE,
      startsAt: '2026-03-24T10:00:00.000Z',
      endsAt: '2026-03-24T10:30:00.000Z',
      holdId: 'hld_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      status: 'offered',
      expiresAt: '2026-03-23T08:15:00.000Z',
      createdAt: '2026-03-23T08:00:00.000Z',
    },
  });
export type OfferView = z.infer<typeof OfferSchema>;

export const EntrySchema = z
  .object({
    id: z.string(),
    ...Parties,
    fromDate: z.string(),
    toDate: z.string(),
    timeFrom: z.string().nullable(),
    timeTo: z.string().nullable(),
    timeZone: z.string().openapi({ description: "The doctor's zone, which the dates and times are in" }),
    status: z.enum(WAITLIST_ENTRY_STATUSES),
    offer: OfferSchema.nullable().openapi({ description: 'The latest offer made to this entry, if any' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('WaitlistEntry', {
    example: {
      id: ENTRY,
      ...PARTIES_EXAMPLE,
      fromDate: '2026-03-24',
      toDate: '2026-04-07',
      timeFrom: '09:00',
      timeTo: '12:00',
      timeZone: 'Europe/Berlin',
      status: 'waiting',
      offer: null,
      createdAt: '2026-03-23T08:00:00.000Z',
      updatedAt: '2026-03-23T08:00:00.000Z',
    },
  });
export type EntryView = z.infer<typeof EntrySchema>;

export const EntryListQuery = PageQuery.extend({
  status: z.enum(WAITLIST_ENTRY_STATUSES).optional().openapi({ example: 'waiting' }),
});
export type EntryListInput = z.infer<typeof EntryListQuery>;
