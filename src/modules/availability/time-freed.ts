import type { ServiceContext } from '../../context';

/**
 * The job a write enqueues when a doctor's time may have become free: an appointment cancelled,
 * rejected or moved away, a hold released, or the doctor opening time (hours, special hours, time off
 * or unavailability cleared). The waitlist module consumes it (offers the time to waitlisted patients);
 * the emitting modules name only this type, so they need not know who listens.
 */
export const TIME_FREED_JOB = 'doctor.time-freed';

export interface TimeFreedPayload {
  doctorId: string;
}

/** Enqueues `TIME_FREED_JOB` for the doctor after the response (no D1 round trip, off the request's path). */
export function announceTimeFreed(ctx: ServiceContext, doctorId: string): void {
  ctx.defer(ctx.ports.jobs.enqueue([{ type: TIME_FREED_JOB, payload: { doctorId } satisfies TimeFreedPayload }]));
}
