import { z } from '@hono/zod-openapi';
import { PageQuery } from '../../http/openapi';

export const AuditEventSchema = z
  .object({
    id: z.string(),
    at: z.string(),
    actorId: z.string().nullable(),
    actorRole: z.string().nullable(),
    patientId: z.string().nullable(),
    action: z.string(),
    resourceType: z.string(),
    resourceId: z.string().nullable(),
    reason: z.string().nullable(),
    outcome: z.enum(['success', 'failure']),
    requestId: z.string().nullable(),
    ip: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('AuditEvent', {
    example: {
      id: 'aud_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      at: '2026-01-15T10:30:00.000Z',
      actorId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CF',
      actorRole: 'doctor',
      patientId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CG',
      action: 'file.read',
      resourceType: 'file',
      resourceId: 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CH',
      reason: null,
      outcome: 'success',
      requestId: 'req_01JF8ZS5X0V6M3A2Q9K1T7B4CJ',
      ip: '203.0.113.7',
      metadata: null,
    },
  });

export const AuditQuerySchema = PageQuery.extend({
  actorId: z.string().max(64).optional(),
  patientId: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
  resourceType: z.string().max(64).optional(),
  resourceId: z.string().max(64).optional(),
  outcome: z.enum(['success', 'failure']).optional(),
  from: z.iso.datetime({ offset: true }).optional().openapi({ example: '2026-01-01T00:00:00Z' }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ example: '2026-02-01T00:00:00Z' }),
});
