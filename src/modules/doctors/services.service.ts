import { and, eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { type DoctorServiceRow, doctorServices } from '../../db/schema';
import { AppError, notFound } from '../../lib/errors';
import { auditInsert } from '../audit/audit.service';
import { assertPracticeOpen, ensureDoctorProfile, managedDoctor } from './doctor-access';
import {
  type CreateServiceInput,
  fromCents,
  type ServiceView,
  toCents,
  type UpdateServiceInput,
} from './doctors.schemas';

export function toServiceView(row: DoctorServiceRow): ServiceView {
  return {
    id: row.id,
    doctorId: row.doctorId,
    name: row.name,
    description: row.description,
    durationMinutes: row.durationMinutes,
    price: { amount: fromCents(row.priceCents), currency: row.currency },
    paymentTiming: row.paymentTiming,
    active: row.active,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

/** One service of a doctor the caller manages; another doctor's service is NOT_FOUND. */
async function managedService(ctx: ServiceContext, doctorId: string, serviceId: string) {
  const { user, reads } = await managedDoctor(ctx, doctorId, {
    service: ctx.db
      .select()
      .from(doctorServices)
      .where(and(eq(doctorServices.id, serviceId), eq(doctorServices.doctorId, doctorId))),
  });
  const row = reads.service[0];
  if (!row) throw notFound('Service');
  return { user, row };
}

/**
 * Adds a service to a doctor's offer and audits it, atomically.
 * @throws AppError NOT_FOUND (not a doctor the caller manages), CONFLICT (account blocked)
 */
export async function createService(
  ctx: ServiceContext,
  doctorId: string,
  input: CreateServiceInput,
): Promise<ServiceView> {
  const { user } = await managedDoctor(ctx, doctorId);
  assertPracticeOpen(user);
  const now = ctx.clock.now().getTime();
  const row: DoctorServiceRow = {
    id: ctx.ids.id('dsv'),
    doctorId: user.id,
    name: input.name,
    description: input.description ?? null,
    durationMinutes: input.durationMinutes,
    priceCents: toCents(input.price.amount),
    currency: input.price.currency,
    paymentTiming: input.paymentTiming ?? null,
    active: true,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.db.batch([
    ensureDoctorProfile(ctx, user.id),
    ctx.db.insert(doctorServices).values(row),
    auditInsert(ctx, { action: 'doctor.service.create', resourceType: 'doctor-service', resourceId: row.id }),
  ]);
  return toServiceView(row);
}

/**
 * Changes the given fields of a service (`active: false` withdraws it, `true` offers it again).
 * @throws AppError NOT_FOUND, VALIDATION_FAILED (nothing to change)
 */
export async function updateService(
  ctx: ServiceContext,
  doctorId: string,
  serviceId: string,
  input: UpdateServiceInput,
): Promise<ServiceView> {
  const { price, ...rest } = input;
  const changes: Partial<DoctorServiceRow> = Object.fromEntries(
    Object.entries(rest).filter(([, v]) => v !== undefined),
  );
  if (price) Object.assign(changes, { priceCents: toCents(price.amount), currency: price.currency });
  const fields = Object.keys(input).filter((k) => input[k as keyof UpdateServiceInput] !== undefined);
  if (!fields.length) {
    throw new AppError('VALIDATION_FAILED', 'Give at least one field to change', {
      fields: [
        {
          field: 'body',
          message: 'Give at least one of name, description, durationMinutes, price, paymentTiming, active',
        },
      ],
    });
  }
  const { user, row } = await managedService(ctx, doctorId, serviceId);
  assertPracticeOpen(user);
  const [, [updated]] = await ctx.db.batch([
    ensureDoctorProfile(ctx, user.id),
    ctx.db
      .update(doctorServices)
      .set({ ...changes, updatedAt: ctx.clock.now().getTime() })
      .where(and(eq(doctorServices.id, row.id), eq(doctorServices.doctorId, row.doctorId)))
      .returning(),
    auditInsert(ctx, {
      action: 'doctor.service.update',
      resourceType: 'doctor-service',
      resourceId: row.id,
      metadata: { fields },
    }),
  ]);
  if (!updated) throw notFound('Service');
  return toServiceView(updated);
}

/**
 * Withdraws a service: it is deactivated, not deleted, so appointments booked for it keep their
 * history. It disappears from the public profile; PATCH `active: true` offers it again.
 * @throws AppError NOT_FOUND
 */
export async function deleteService(ctx: ServiceContext, doctorId: string, serviceId: string): Promise<void> {
  const { row } = await managedService(ctx, doctorId, serviceId);
  await ctx.db.batch([
    ensureDoctorProfile(ctx, row.doctorId),
    ctx.db
      .update(doctorServices)
      .set({ active: false, updatedAt: ctx.clock.now().getTime() })
      .where(and(eq(doctorServices.id, row.id), eq(doctorServices.doctorId, row.doctorId))),
    auditInsert(ctx, { action: 'doctor.service.delete', resourceType: 'doctor-service', resourceId: row.id }),
  ]);
}
