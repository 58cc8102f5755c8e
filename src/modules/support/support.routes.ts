import { createRouter } from '../../http/hono';
import { defineRoute, errorOf, jsonBody, jsonResponse, pageOf } from '../../http/openapi';
import { ok } from '../../lib/envelope';
import { UPLOAD_RULES } from '../../platform/files';
import { downloadResponse } from '../files/files.schemas';
import { fileDownload } from '../files/files.service';
import {
  AssignBody,
  CreateTicketBody,
  MessageBody,
  MyTicketQuery,
  StaffMessageBody,
  StaffTicketQuery,
  StatusBody,
  SupportMessageSchema,
  TicketFileParams,
  TicketIdParam,
  TicketSchema,
  TicketThreadSchema,
} from './support.schemas';
import {
  assignTicket,
  changeStatus,
  listMyTickets,
  listTickets,
  openTicket,
  postMessage,
  readThread,
  readTicketFile,
} from './support.service';

const BODY_LIMIT = 32 * 1024;
const tags = ['Support'];
const noMine = errorOf('No such ticket of mine (NOT_FOUND)');
const noTicket = errorOf('No such ticket (NOT_FOUND)');

const openRoute = defineRoute({
  method: 'post',
  path: '/support/tickets',
  operationId: 'support.tickets.open',
  tags,
  summary: 'Open a support ticket',
  description:
    '`category` account, appointments, payments, technical, medical-records or other; `priority` low, normal (default), high or urgent; `attachments` up to 5 of my uploads with purpose `support` (POST /files). The ticket starts `open`; the on-duty support agents are told.',
  bodyLimit: BODY_LIMIT,
  request: { body: jsonBody(CreateTicketBody) },
  responses: { 201: jsonResponse(TicketSchema, 'Opened') },
});

const myListRoute = defineRoute({
  method: 'get',
  path: '/support/tickets',
  operationId: 'support.tickets.list',
  tags,
  summary: 'My support tickets, last changed first',
  request: { query: MyTicketQuery },
  responses: { 200: jsonResponse(pageOf(TicketSchema), 'A page of my tickets') },
});

const myThreadRoute = defineRoute({
  method: 'get',
  path: '/support/tickets/{id}',
  operationId: 'support.tickets.get',
  tags,
  summary: 'A ticket of mine and its thread (without staff-internal notes)',
  request: { params: TicketIdParam },
  responses: { 200: jsonResponse(TicketThreadSchema, 'The ticket and its messages'), 404: noMine },
});

const myMessageRoute = defineRoute({
  method: 'post',
  path: '/support/tickets/{id}/messages',
  operationId: 'support.tickets.message',
  tags,
  summary: 'Write on a ticket of mine',
  description:
    'Allowed while the ticket is `open` or `in-progress`; a resolved ticket is reopened first. The assigned agent (else the on-duty agents) is told.',
  bodyLimit: BODY_LIMIT,
  request: { params: TicketIdParam, body: jsonBody(MessageBody) },
  responses: {
    201: jsonResponse(SupportMessageSchema, 'Written'),
    404: noMine,
    409: errorOf('Resolved or closed (INVALID_TRANSITION)'),
  },
});

const reopenRoute = defineRoute({
  method: 'post',
  path: '/support/tickets/{id}/reopen',
  operationId: 'support.tickets.reopen',
  tags,
  summary: 'Reopen a resolved ticket of mine, within `support.reopenDays` of its resolution',
  description: 'The ticket goes back to `open` (`reopenableUntil` says until when). A closed ticket is final.',
  request: { params: TicketIdParam },
  responses: {
    200: jsonResponse(TicketSchema, 'Reopened'),
    404: noMine,
    409: errorOf('Not resolved, or past the reopen window (INVALID_TRANSITION); changed meanwhile (CONFLICT)'),
  },
});

const staffListRoute = defineRoute({
  method: 'get',
  path: '/admin/support/tickets',
  operationId: 'admin.support.list',
  tags,
  summary: 'Every support ticket, filtered, last changed first (support agents)',
  description:
    'Filters: `status`, `priority`, `category`, `assignee` (a user id, or `none`), `q` (text in the subject).',
  request: { query: StaffTicketQuery },
  responses: { 200: jsonResponse(pageOf(TicketSchema), 'A page of tickets') },
});

const staffThreadRoute = defineRoute({
  method: 'get',
  path: '/admin/support/tickets/{id}',
  operationId: 'admin.support.get',
  tags,
  summary: 'A ticket and its whole thread, internal notes included (support agents)',
  request: { params: TicketIdParam },
  responses: { 200: jsonResponse(TicketThreadSchema, 'The ticket and its messages'), 404: noTicket },
});

const staffMessageRoute = defineRoute({
  method: 'post',
  path: '/admin/support/tickets/{id}/messages',
  operationId: 'admin.support.message',
  tags,
  summary: 'Answer a ticket, or add an internal note (support agents)',
  description:
    'A reply is told to the owner (and the assignee, when another agent wrote it); an `internal` note is never shown nor told to the owner, only to the assignee. Not on a closed ticket.',
  bodyLimit: BODY_LIMIT,
  request: { params: TicketIdParam, body: jsonBody(StaffMessageBody) },
  responses: {
    201: jsonResponse(SupportMessageSchema, 'Written'),
    404: noTicket,
    409: errorOf('Closed (INVALID_TRANSITION)'),
  },
});

const assignRoute = defineRoute({
  method: 'post',
  path: '/admin/support/tickets/{id}/assign',
  operationId: 'admin.support.assign',
  tags,
  summary: 'Assign a ticket to a support agent (support agents)',
  description: 'The assignee must be an active admin with the `support-agent` sub-role, or a superadmin (else 422).',
  bodyLimit: BODY_LIMIT,
  request: { params: TicketIdParam, body: jsonBody(AssignBody) },
  responses: {
    200: jsonResponse(TicketSchema, 'Assigned'),
    404: noTicket,
    409: errorOf('Closed (INVALID_TRANSITION)'),
  },
});

const statusRoute = defineRoute({
  method: 'post',
  path: '/admin/support/tickets/{id}/status',
  operationId: 'admin.support.status',
  tags,
  summary: 'Move a ticket on: in-progress, resolved or closed (support agents)',
  description: 'open → in-progress → resolved → closed; open may be resolved or closed directly. Closed is final.',
  bodyLimit: BODY_LIMIT,
  request: { params: TicketIdParam, body: jsonBody(StatusBody) },
  responses: {
    200: jsonResponse(TicketSchema, 'Changed'),
    404: noTicket,
    409: errorOf('Not allowed from the current status (INVALID_TRANSITION); changed meanwhile (CONFLICT)'),
  },
});

const fileRoute = (staff: boolean) =>
  defineRoute({
    method: 'get',
    path: staff ? '/admin/support/tickets/{id}/files/{fileId}' : '/support/tickets/{id}/files/{fileId}',
    operationId: staff ? 'admin.support.file' : 'support.tickets.file',
    tags,
    summary: staff
      ? 'Download a file attached to a ticket or any of its messages (support agents)'
      : 'Download a file attached to a ticket of mine or to a message I can see',
    description: 'The bytes with their sniffed Content-Type, as a download that is never cached.',
    request: { params: TicketFileParams },
    responses: {
      200: downloadResponse(UPLOAD_RULES.support.types, 'The file'),
      404: errorOf(
        staff
          ? 'No such ticket, or no such file on it (NOT_FOUND)'
          : 'No such ticket of mine, or no such file on it (NOT_FOUND)',
      ),
    },
  });

const myFileRoute = fileRoute(false);
const staffFileRoute = fileRoute(true);

export const supportRouter = createRouter()
  .openapi(openRoute, async (c) =>
    c.json(ok(await openTicket(c.get('ctx'), c.req.valid('json')), 'Ticket opened'), 201),
  )
  .openapi(myListRoute, async (c) => c.json(ok(await listMyTickets(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(myThreadRoute, async (c) => c.json(ok(await readThread(c.get('ctx'), c.req.valid('param').id, true)), 200))
  .openapi(myMessageRoute, async (c) =>
    c.json(ok(await postMessage(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'), true), 'Written'), 201),
  )
  .openapi(reopenRoute, async (c) =>
    c.json(ok(await changeStatus(c.get('ctx'), c.req.valid('param').id, 'reopen', true), 'Reopened'), 200),
  )
  .openapi(staffListRoute, async (c) => c.json(ok(await listTickets(c.get('ctx'), c.req.valid('query'))), 200))
  .openapi(staffThreadRoute, async (c) =>
    c.json(ok(await readThread(c.get('ctx'), c.req.valid('param').id, false)), 200),
  )
  .openapi(staffMessageRoute, async (c) =>
    c.json(ok(await postMessage(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'), false), 'Written'), 201),
  )
  .openapi(assignRoute, async (c) =>
    c.json(ok(await assignTicket(c.get('ctx'), c.req.valid('param').id, c.req.valid('json').assigneeId)), 200),
  )
  .openapi(statusRoute, async (c) =>
    c.json(ok(await changeStatus(c.get('ctx'), c.req.valid('param').id, c.req.valid('json').status, false)), 200),
  )
  .openapi(myFileRoute, async (c) => {
    const { id, fileId } = c.req.valid('param');
    const { file, body } = await readTicketFile(c.get('ctx'), id, fileId, true);
    return fileDownload(file, body);
  })
  .openapi(staffFileRoute, async (c) => {
    const { id, fileId } = c.req.valid('param');
    const { file, body } = await readTicketFile(c.get('ctx'), id, fileId, false);
    return fileDownload(file, body);
  });
