import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { AppointmentIdParam } from '../appointments/appointments.schemas';
import {
  notFound as appointmentNotFound,
  BODY_LIMIT,
  describeTransition,
  forbidden,
  invalidTransition,
} from '../appointments/lifecycle.routes';
import { PRIVATE_DOWNLOAD_HEADERS } from '../files/files.service';
import { prescriptionPdf } from './prescription-pdf';
import {
  CompleteBody,
  CompletedAppointmentSchema,
  CreatePrescriptionBody,
  DeletePrescriptionBody,
  PrescriptionIdParam,
  PrescriptionListQuery,
  PrescriptionSchema,
  UpdatePrescriptionBody,
} from './prescriptions.schemas';
import {
  acceptPrescription,
  completeAppointment,
  createPrescription,
  deletePrescription,
  getPrescription,
  listPrescriptions,
  updatePrescription,
} from './prescriptions.service';

const tags = ['Prescriptions'];
const notFound = errorOf('No such prescription, or not the caller’s (NOT_FOUND)');
const notActive = errorOf('The prescription is expired or deleted, or changed meanwhile (INVALID_TRANSITION)');

const PrescriptionPdf = z
  .string()
  .openapi({ type: 'string', format: 'binary', description: 'The prescription as a PDF (A4)', example: '(PDF bytes)' });

const createRoute = defineRoute({
  method: 'post',
  path: '/appointments/{id}/prescriptions',
  operationId: 'prescriptions.create',
  tags,
  summary: 'Write a prescription on an appointment',
  description:
    'Only the appointment’s doctor (another doctor gets 404), once it is confirmed, in progress or completed. ' +
    '1 to 20 medications; each course counts from today in the patient’s profile time zone (UTC without one), ' +
    'and the prescription expires at midnight after the longest course’s last day. Audited without the medications.',
  request: { params: AppointmentIdParam, body: jsonBody(CreatePrescriptionBody) },
  responses: {
    201: jsonResponse(PrescriptionSchema, 'Written'),
    404: errorOf('No such appointment, or not the calling doctor’s (NOT_FOUND)'),
    409: errorOf('The appointment is pending, rejected, cancelled or missed (INVALID_TRANSITION)'),
  },
});

const listRoute = defineRoute({
  method: 'get',
  path: '/prescriptions',
  operationId: 'prescriptions.list',
  tags,
  summary: 'My prescriptions, newest first',
  description: 'A patient’s are the ones written for them; a doctor’s the ones they wrote. Every listing is audited.',
  request: { query: PrescriptionListQuery },
  responses: { 200: jsonResponse(pageOf(PrescriptionSchema), 'A page of prescriptions') },
});

const getRoute = defineRoute({
  method: 'get',
  path: '/prescriptions/{id}',
  operationId: 'prescriptions.get',
  tags,
  summary: 'One prescription',
  description: 'Its patient or the doctor who wrote it; anyone else gets 404. Every read is audited.',
  request: { params: PrescriptionIdParam },
  responses: { 200: jsonResponse(PrescriptionSchema, 'The prescription'), 404: notFound },
});

const pdfRoute = defineRoute({
  method: 'get',
  path: '/prescriptions/{id}/pdf',
  operationId: 'prescriptions.pdf',
  tags,
  summary: 'One prescription as a printable PDF',
  description:
    'Doctor, patient, date and medications on A4, downloaded as `prescription-<id>.pdf`. Same readers as ' +
    '`GET /prescriptions/{id}`; audited.',
  request: { params: PrescriptionIdParam },
  responses: {
    200: {
      description: 'The PDF',
      headers: {
        'Content-Disposition': {
          description: 'attachment; filename="prescription-<id>.pdf"',
          schema: {
            type: 'string' as const,
            example: 'attachment; filename="prescription-rx_01JF8ZS5X0V6M3A2Q9K1T7B4CE.pdf"',
          },
        },
      },
      content: { 'application/pdf': { schema: PrescriptionPdf } },
    },
    404: notFound,
  },
});

const updateRoute = defineRoute({
  method: 'patch',
  path: '/prescriptions/{id}',
  operationId: 'prescriptions.update',
  tags,
  summary: 'Change an active prescription’s medications or notes',
  description:
    'Only the doctor who wrote it. When the patient has accepted it, its schedules end today and the new ' +
    'medications’ schedules replace them in the same write. Audited.',
  request: { params: PrescriptionIdParam, body: jsonBody(UpdatePrescriptionBody) },
  responses: { 200: jsonResponse(PrescriptionSchema, 'Saved'), 404: notFound, 409: notActive },
});

const deleteRoute = defineRoute({
  method: 'delete',
  path: '/prescriptions/{id}',
  operationId: 'prescriptions.delete',
  tags,
  summary: 'Withdraw a prescription (soft delete, with a reason)',
  description:
    'Only the doctor who wrote it. The prescription stays, with status `deleted` and the reason, as the record; ' +
    'the schedules the patient’s acceptance created end today (taken and past doses stay). Audited.',
  request: { params: PrescriptionIdParam, body: jsonBody(DeletePrescriptionBody) },
  responses: {
    200: jsonResponse(PrescriptionSchema, 'Deleted'),
    404: notFound,
    409: errorOf('Already deleted (INVALID_TRANSITION)'),
  },
});

const acceptRoute = defineRoute({
  method: 'post',
  path: '/prescriptions/{id}/accept',
  operationId: 'prescriptions.accept',
  tags,
  summary: 'Accept a prescription into my medicine schedules',
  description:
    'Only its patient. One daily medicine schedule per medication whose course is still running, until its ' +
    'last day, so its doses appear in `GET /doses` with their reminders. Idempotent: accepting an accepted ' +
    'prescription answers it again (200) and changes nothing. Audited.',
  request: { params: PrescriptionIdParam },
  responses: {
    200: jsonResponse(PrescriptionSchema, 'Accepted'),
    404: notFound,
    409: errorOf('The prescription is expired or deleted (INVALID_TRANSITION)'),
  },
});

/**
 * The lifecycle's `complete`, served here because it may carry a prescription (Arthomed): the
 * prescriptions module composes the appointments module, never the reverse.
 */
const completeRoute = defineRoute({
  method: 'post',
  path: '/appointments/{id}/complete',
  operationId: 'appointments.complete',
  tags: ['Appointments'],
  summary: 'Complete an appointment in progress',
  description: describeTransition(
    'complete',
    'Any time left of the slot becomes bookable again at once. The body is optional; its `prescription` ' +
      '(as `POST /appointments/{id}/prescriptions` takes it) is written in the same write as the completion, ' +
      'and answered under `prescription`.',
  ),
  bodyLimit: BODY_LIMIT,
  request: { params: AppointmentIdParam, body: { ...jsonBody(CompleteBody), required: false } },
  responses: {
    200: jsonResponse(CompletedAppointmentSchema, 'Completed'),
    403: forbidden,
    404: appointmentNotFound,
    409: invalidTransition,
  },
});

export const prescriptionsRouter = createRouter()
  .openapi(completeRoute, async (c) => {
    const view = await completeAppointment(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(view, 'Appointment completed'), 200);
  })
  .openapi(createRoute, async (c) => {
    const rx = await createPrescription(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(rx, 'Prescription written'), 201);
  })
  .openapi(listRoute, async (c) => c.json(ok(await listPrescriptions(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(getRoute, async (c) => c.json(ok(await getPrescription(c.get('ctx'), c.req.valid('param').id)), 200))
  .openapi(pdfRoute, async (c) => {
    const rx = await getPrescription(c.get('ctx'), c.req.valid('param').id, 'pdf');
    return new Response(await prescriptionPdf(rx), {
      headers: {
        'content-type': 'application/pdf',
        'content-disposition': `attachment; filename="prescription-${rx.id}.pdf"`,
        ...PRIVATE_DOWNLOAD_HEADERS,
      },
    });
  })
  .openapi(updateRoute, async (c) => {
    const rx = await updatePrescription(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json(ok(rx, 'Prescription saved'), 200);
  })
  .openapi(deleteRoute, async (c) => {
    const rx = await deletePrescription(c.get('ctx'), c.req.valid('param').id, c.req.valid('json').reason);
    return c.json(ok(rx, 'Prescription deleted'), 200);
  })
  .openapi(acceptRoute, async (c) => {
    const rx = await acceptPrescription(c.get('ctx'), c.req.valid('param').id);
    return c.json(ok(rx, 'Prescription accepted'), 200);
  });
