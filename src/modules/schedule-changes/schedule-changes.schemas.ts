import { z } from '@hono/zod-openapi';
import { AppointmentSchema } from '../appointments/appointments.schemas';
import { SpecialHoursSchema } from '../availability/availability.schemas';

export const SpecialHoursChangeSchema = z
  .object({
    specialHours: SpecialHoursSchema,
    affected: z.array(AppointmentSchema).openapi({
      description:
        'The pending or confirmed appointments, not yet over, that the new hours of this date leave outside the ' +
        'doctor’s hours, soonest first',
    }),
  })
  .openapi('SpecialHoursChange');

export type SpecialHoursChangeView = z.infer<typeof SpecialHoursChangeSchema>;

export const DeletedSpecialHoursSchema = z
  .object({ id: z.string(), date: z.string() })
  .openapi('DeletedSpecialHours', { example: { id: 'sph_01JF8ZS5X0V6M3A2Q9K1T7B4CE', date: '2026-12-24' } });
