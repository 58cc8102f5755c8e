import { z } from '@hono/zod-openapi';
import { AppointmentSchema } from '../appointments/appointments.schemas';
import { SpecialHoursSchema, TimeOffSchema } from '../availability/availability.schemas';

const Affected = z.array(AppointmentSchema).openapi({
  description:
    'The pending or confirmed appointments, not yet over, whose time this change takes, soonest first: each waits ' +
    'to be rebooked (`needsRebooking`; `affectedBy` names the change that took its time first) and its patient ' +
    'was told',
});

const Restored = z.array(AppointmentSchema).openapi({
  description:
    'The appointments that waited to be rebooked only because of what this change undid: they keep their time and ' +
    'wait no more, and their patients were told',
});

export const TimeOffCreatedSchema = TimeOffSchema.extend({ affected: Affected }).openapi('TimeOffCreated', {
  example: {
    id: 'tof_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
    kind: 'vacation',
    startsAt: '2026-07-31T22:00:00.000Z',
    endsAt: '2026-08-14T22:00:00.000Z',
    reason: 'Summer vacation',
    createdAt: '2026-06-01T10:30:00.000Z',
    affected: [],
  },
});

export const DeletedTimeOffSchema = z
  .object({ id: z.string(), restored: Restored })
  .openapi('DeletedTimeOff', { example: { id: 'tof_01JF8ZS5X0V6M3A2Q9K1T7B4CE', restored: [] } });

export const SpecialHoursChangeSchema = z
  .object({ specialHours: SpecialHoursSchema, affected: Affected, restored: Restored })
  .openapi('SpecialHoursChange');

export type SpecialHoursChangeView = z.infer<typeof SpecialHoursChangeSchema>;

export const DeletedSpecialHoursSchema = z
  .object({ id: z.string(), date: z.string(), restored: Restored })
  .openapi('DeletedSpecialHours', {
    example: { id: 'sph_01JF8ZS5X0V6M3A2Q9K1T7B4CE', date: '2026-12-24', restored: [] },
  });
