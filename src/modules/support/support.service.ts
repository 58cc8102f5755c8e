import { and, count, desc, eq, inArray, isNull, not, type SQL, sql } from 'drizzle-orm';
import { notify } from '../../access/notices';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import {
  files,
  type SupportMessageRow,
  type SupportStatus,
  type SupportTicketRow,
  supportMessages,
  supportTickets,
  users,
} from '../../db/schema';
import { escapeLike } from '../../db/sql';
import { page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { auditGuardTripped, auditInsert } from '../audit/audit.service';
import { ON_DUTY_SUB_ROLE, onDutyAdmins } from '../care-reports/care-alerts.service';
import { getSetting, primeSettings, settingsQuery } from '../settings/settings.service';
import {
  ACTION_TO,
  checkSupportTransition,
  OWNER_WRITABLE,
  reopenableUntil,
  type SupportAction,
} from './lifecycle.policy';
import type {
  CreateTicketInput,
  MessageInput,
  MyTicketQueryInput,
  StaffMessageInput,
  StaffStatus,
  StaffTicketQueryInput,
  SupportMessageView,
  TicketThreadView,
  TicketView,
} from './support.schemas';

/** The upload purpose a ticket's or a message's files must have. */
const FILE_PURPOSE = 'support';

const invalid = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field, message }] });

export function toTicketView(row: SupportTicketRow, reopenDays: number): TicketView {
  const until = reopenableUntil(row.status, row.resolvedAt, reopenDays);
  return {
    id: row.id,
    ownerId: row.ownerId,
    subject: row.subject,
    category: row.category,
    priority: row.priority,
    description: row.description,
    attachments: row.attachments,
    status: row.status,
    assigneeId: row.assigneeId,
    resolvedAt: row.resolvedAt === null ? null : iso(row.resolvedAt),
    reopenableUntil: until === null ? null : iso(until),
    closedAt: row.closedAt === null ? null : iso(row.closedAt),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

const toMessageView = (row: SupportMessageRow, ownerId: string): SupportMessageView => ({
  id: row.id,
  ticketId: row.ticketId,
  authorId: row.authorId,
  fromStaff: row.authorId !== ownerId,
  body: row.body,
  attachments: row.attachments,
  internal: row.internal,
  createdAt: iso(row.createdAt),
});

/** The caller's own `support` uploads among `ids`, for a read batch; undefined when there are none. */
function ownFilesQuery(ctx: AuthedContext, ids: readonly string[]) {
  if (ids.length === 0) return undefined;
  return ctx.db
    .select({ id: files.id })
    .from(files)
    .where(and(inArray(files.id, [...new Set(ids)]), eq(files.ownerId, ctx.actor.id), eq(files.purpose, FILE_PURPOSE)));
}

/** @throws AppError VALIDATION_FAILED (field attachments) unless every id is one of the caller's uploads. */
function checkFiles(ids: readonly string[], found: { id: string }[] | undefined): string[] {
  const unique = [...new Set(ids)];
  const have = new Set((found ?? []).map((f) => f.id));
  const missing = unique.find((id) => !have.has(id));
  if (missing) throw invalid('attachments', `File ${missing} is not one of my uploads with purpose support`);
  return unique;
}

/** The active admins and superadmins, for a write's read batch (who hears of an owner's change). */
const staffQuery = (ctx: AuthedContext) =>
  ctx.db
    .select({ id: users.id, role: users.role, subRoles: users.subRoles })
    .from(users)
    .where(and(inArray(users.role, ['admin', 'superadmin']), eq(users.status, 'active')));

/** The ticket by id; only the caller's own when `owned`. */
const ticketQuery = (ctx: AuthedContext, id: string, owned: boolean) =>
  ctx.db
    .select()
    .from(supportTickets)
    .where(and(eq(supportTickets.id, id), owned ? eq(supportTickets.ownerId, ctx.actor.id) : undefined));

/**
 * Tells the other side of a ticket about a change, after the response: never the actor. Each event has
 * its own kind, so each reaches each recipient exactly once however often the delivery is retried.
 */
function tell(
  ctx: AuthedContext,
  recipients: (string | null)[],
  ticket: Pick<SupportTicketRow, 'id' | 'subject'>,
  event: string,
  title: string,
  message: string,
) {
  const to = [...new Set(recipients.filter((r): r is string => r !== null && r !== ctx.actor.id))];
  if (to.length === 0) return;
  notify(ctx, {
    recipients: to,
    kind: `support.${event}`,
    type: 'system',
    template: 'notice',
    data: { title, message, ticketId: ticket.id },
    subject: { type: 'support-ticket', id: ticket.id },
  });
}

/** Tells staff of an owner's change: the assignee, else the on-duty support agents. */
const tellStaff = (
  ctx: AuthedContext,
  ticket: SupportTicketRow,
  staff: { id: string; role: string; subRoles: string[] }[] | undefined,
  event: string,
  title: string,
  message: string,
) => tell(ctx, ticket.assigneeId ? [ticket.assigneeId] : onDutyAdmins(staff ?? []), ticket, event, title, message);

const ticketAudit = (ctx: AuthedContext, ticket: SupportTicketRow, action: string, metadata = {}) =>
  auditInsert(ctx, {
    action,
    resourceType: 'support-ticket',
    resourceId: ticket.id,
    metadata: { ownerId: ticket.ownerId, status: ticket.status, ...metadata },
  });

/**
 * The caller opens a ticket (`open`), with their own `support` uploads attached; the on-duty agents are
 * told. Two round trips: the files and the staff in one read, the ticket and its audit event in one write.
 * @throws AppError VALIDATION_FAILED (an attachment not the caller's support upload)
 */
export async function openTicket(ctx: AuthedContext, input: CreateTicketInput): Promise<TicketView> {
  const read = await batchOf(ctx.db, {
    files: ownFilesQuery(ctx, input.attachments),
    staff: staffQuery(ctx),
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, read.settings);
  const attachments = checkFiles(input.attachments, read.files);
  const now = ctx.clock.now().getTime();
  const row: SupportTicketRow = {
    id: ctx.ids.id('stk'),
    ownerId: ctx.actor.id,
    subject: input.subject,
    category: input.category,
    priority: input.priority,
    description: input.description,
    attachments,
    status: 'open',
    assigneeId: null,
    resolvedAt: null,
    closedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.db.batch([
    ctx.db.insert(supportTickets).values(row),
    ticketAudit(ctx, row, 'support.ticket.open', { category: row.category, priority: row.priority }),
  ]);
  tell(
    ctx,
    onDutyAdmins(read.staff),
    row,
    `open:${row.id}`,
    'New support ticket',
    `A ${row.priority} priority ${row.category} ticket was opened: ${row.subject}`,
  );
  return toTicketView(row, await getSetting(ctx, 'support.reopenDays'));
}

/** A page of tickets and the reopen setting, in one round trip. */
async function ticketPage(ctx: AuthedContext, where: SQL | undefined, query: { page: number; limit: number }) {
  const { rows, total, settings } = await batchOf(ctx.db, {
    rows: ctx.db
      .select()
      .from(supportTickets)
      .where(where)
      .orderBy(desc(supportTickets.updatedAt), desc(supportTickets.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    total: ctx.db.select({ n: count() }).from(supportTickets).where(where),
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, settings);
  const days = await getSetting(ctx, 'support.reopenDays');
  return page(
    rows.map((r) => toTicketView(r, days)),
    total[0]?.n ?? 0,
    query,
  );
}

/** The caller's tickets, last changed first. One round trip. */
export const listMyTickets = (ctx: AuthedContext, query: MyTicketQueryInput) =>
  ticketPage(
    ctx,
    and(eq(supportTickets.ownerId, ctx.actor.id), query.status ? eq(supportTickets.status, query.status) : undefined),
    query,
  );

/** Every ticket, filtered, last changed first (support staff). One round trip. */
export function listTickets(ctx: AuthedContext, query: StaffTicketQueryInput) {
  const assignee =
    query.assignee === undefined
      ? undefined
      : query.assignee === 'none'
        ? isNull(supportTickets.assigneeId)
        : eq(supportTickets.assigneeId, query.assignee);
  return ticketPage(
    ctx,
    and(
      query.status ? eq(supportTickets.status, query.status) : undefined,
      query.priority ? eq(supportTickets.priority, query.priority) : undefined,
      query.category ? eq(supportTickets.category, query.category) : undefined,
      assignee,
      query.q ? sql`${supportTickets.subject} like ${`%${escapeLike(query.q)}%`} escape '\\'` : undefined,
    ),
    query,
  );
}

/**
 * A ticket and its thread, oldest message first, in one round trip: the owner's view (`asOwner`, their
 * own tickets only, without internal notes) or the staff view (every ticket, every note).
 * @throws AppError NOT_FOUND
 */
export async function readThread(ctx: AuthedContext, id: string, asOwner: boolean): Promise<TicketThreadView> {
  const owned = ctx.db
    .select({ id: supportTickets.id })
    .from(supportTickets)
    .where(and(eq(supportTickets.id, id), asOwner ? eq(supportTickets.ownerId, ctx.actor.id) : undefined));
  const read = await batchOf(ctx.db, {
    ticket: ticketQuery(ctx, id, asOwner),
    messages: ctx.db
      .select()
      .from(supportMessages)
      .where(and(inArray(supportMessages.ticketId, owned), asOwner ? not(supportMessages.internal) : undefined))
      .orderBy(supportMessages.createdAt, supportMessages.id),
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, read.settings);
  const ticket = read.ticket[0];
  if (!ticket) throw notFound('Support ticket');
  return {
    ticket: toTicketView(ticket, await getSetting(ctx, 'support.reopenDays')),
    messages: read.messages.map((m) => toMessageView(m, ticket.ownerId)),
  };
}

/**
 * A message on a ticket's thread. The owner writes on an open or in-progress ticket of theirs (a
 * resolved one is reopened first); staff on any ticket not closed, optionally as an internal note.
 * The other side is told: the owner of a staff reply (never of a note), the assignee (else the
 * on-duty agents) of the owner's message, the assignee of another agent's note. Two round trips.
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (closed, or resolved for the owner), VALIDATION_FAILED
 */
export async function postMessage(
  ctx: AuthedContext,
  id: string,
  input: MessageInput | StaffMessageInput,
  asOwner: boolean,
): Promise<SupportMessageView> {
  const read = await batchOf(ctx.db, {
    ticket: ticketQuery(ctx, id, asOwner),
    files: ownFilesQuery(ctx, input.attachments),
    staff: asOwner ? staffQuery(ctx) : undefined,
  });
  const ticket = read.ticket[0];
  if (!ticket) throw notFound('Support ticket');
  const writable: readonly SupportStatus[] = asOwner ? OWNER_WRITABLE : ['open', 'in-progress', 'resolved'];
  if (!writable.includes(ticket.status)) {
    throw new AppError(
      'INVALID_TRANSITION',
      `Cannot write on this ticket: it is ${ticket.status}${ticket.status === 'resolved' ? ' (reopen it first)' : ''}`,
      { details: { status: ticket.status } },
    );
  }
  const attachments = checkFiles(input.attachments, read.files);
  const internal = !asOwner && 'internal' in input && input.internal;
  const now = ctx.clock.now().getTime();
  const row: SupportMessageRow = {
    id: ctx.ids.id('smg'),
    ticketId: ticket.id,
    authorId: ctx.actor.id,
    body: input.body,
    attachments,
    internal,
    createdAt: now,
  };
  await ctx.db.batch([
    ctx.db.insert(supportMessages).values(row),
    ctx.db.update(supportTickets).set({ updatedAt: now }).where(eq(supportTickets.id, ticket.id)),
    ticketAudit(ctx, ticket, internal ? 'support.note' : 'support.message', { messageId: row.id }),
  ]);
  const event = `message:${row.id}`;
  if (asOwner) {
    tellStaff(
      ctx,
      ticket,
      read.staff,
      event,
      'New message on a support ticket',
      `The owner wrote on: ${ticket.subject}`,
    );
  } else if (internal) {
    tell(
      ctx,
      [ticket.assigneeId],
      ticket,
      event,
      'Internal note on a support ticket',
      `A note was added to: ${ticket.subject}`,
    );
  } else {
    tell(
      ctx,
      [ticket.ownerId, ticket.assigneeId],
      ticket,
      event,
      'Support replied',
      `There is a new reply on your ticket: ${ticket.subject}`,
    );
  }
  return toMessageView(row, ticket.ownerId);
}

/** Runs a status change guarded on the status read; a concurrent change answers 409. */
async function writeStatus(
  ctx: AuthedContext,
  ticket: SupportTicketRow,
  next: SupportTicketRow,
  action: SupportAction,
): Promise<void> {
  try {
    await ctx.db.batch([
      ctx.db
        .update(supportTickets)
        .set({ status: next.status, resolvedAt: next.resolvedAt, closedAt: next.closedAt, updatedAt: next.updatedAt })
        .where(and(eq(supportTickets.id, ticket.id), eq(supportTickets.status, ticket.status))),
      auditInsert(
        ctx,
        {
          action: `support.${action}`,
          resourceType: 'support-ticket',
          resourceId: ticket.id,
          metadata: { ownerId: ticket.ownerId, from: ticket.status, to: next.status },
        },
        { guard: 'one-row-changed' },
      ),
    ]);
  } catch (err) {
    if (auditGuardTripped(err)) throw new AppError('CONFLICT', 'The ticket changed meanwhile; read it and try again');
    throw err;
  }
}

/**
 * One lifecycle step (lifecycle.policy.ts): staff move a ticket on; its owner reopens a resolved one
 * within `support.reopenDays`. The other side is told. Two round trips.
 * @throws AppError NOT_FOUND, INVALID_TRANSITION, CONFLICT (changed meanwhile)
 */
export async function changeStatus(
  ctx: AuthedContext,
  id: string,
  target: StaffStatus | 'reopen',
  asOwner: boolean,
): Promise<TicketView> {
  const read = await batchOf(ctx.db, {
    ticket: ticketQuery(ctx, id, asOwner),
    staff: asOwner ? staffQuery(ctx) : undefined,
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, read.settings);
  const ticket = read.ticket[0];
  if (!ticket) throw notFound('Support ticket');
  const reopenDays = await getSetting(ctx, 'support.reopenDays');
  const action: SupportAction = target === 'reopen' ? 'reopen' : ACTION_TO[target];
  const now = ctx.clock.now().getTime();
  const check = checkSupportTransition(action, ticket.status, asOwner ? 'owner' : 'staff', {
    now,
    resolvedAt: ticket.resolvedAt,
    reopenDays,
  });
  if (!check.ok) throw new AppError(check.code, check.message, { details: { status: ticket.status } });
  const next: SupportTicketRow = {
    ...ticket,
    status: check.to,
    resolvedAt: check.to === 'resolved' ? now : ticket.resolvedAt,
    closedAt: check.to === 'closed' ? now : null,
    updatedAt: now,
  };
  await writeStatus(ctx, ticket, next, action);
  const event = `${action}:${now}`;
  if (asOwner) {
    tellStaff(ctx, ticket, read.staff, event, 'Support ticket reopened', `The owner reopened: ${ticket.subject}`);
  } else {
    tell(
      ctx,
      [ticket.ownerId, ticket.assigneeId],
      ticket,
      event,
      `Support ticket ${check.to}`,
      `Your ticket "${ticket.subject}" is now ${check.to}.`,
    );
  }
  return toTicketView(next, reopenDays);
}

/**
 * Staff assign a ticket (not closed) to a support agent: an active admin with the `support-agent`
 * sub-role, or a superadmin. The owner and the new assignee are told (never the actor). Two round trips.
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (closed), VALIDATION_FAILED (not a support agent)
 */
export async function assignTicket(ctx: AuthedContext, id: string, assigneeId: string): Promise<TicketView> {
  const read = await batchOf(ctx.db, {
    ticket: ticketQuery(ctx, id, false),
    assignee: ctx.db
      .select({ role: users.role, subRoles: users.subRoles })
      .from(users)
      .where(and(eq(users.id, assigneeId), eq(users.status, 'active'))),
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, read.settings);
  const ticket = read.ticket[0];
  if (!ticket) throw notFound('Support ticket');
  const agent = read.assignee[0];
  const isAgent =
    agent && (agent.role === 'superadmin' || (agent.role === 'admin' && agent.subRoles.includes(ON_DUTY_SUB_ROLE)));
  if (!isAgent) throw invalid('assigneeId', 'Must be an active support agent (admin with support-agent) or superadmin');
  if (ticket.status === 'closed') {
    throw new AppError('INVALID_TRANSITION', 'Cannot assign this ticket: it is closed', {
      details: { status: ticket.status },
    });
  }
  const now = ctx.clock.now().getTime();
  const next: SupportTicketRow = { ...ticket, assigneeId, updatedAt: now };
  await ctx.db.batch([
    ctx.db.update(supportTickets).set({ assigneeId, updatedAt: now }).where(eq(supportTickets.id, ticket.id)),
    ticketAudit(ctx, ticket, 'support.assign', { assigneeId }),
  ]);
  const event = `assign:${assigneeId}:${now}`;
  tell(
    ctx,
    [ticket.ownerId],
    ticket,
    event,
    'Support ticket assigned',
    `An agent is now handling your ticket: ${ticket.subject}`,
  );
  tell(
    ctx,
    [assigneeId],
    ticket,
    `${event}:agent`,
    'Support ticket assigned to you',
    `You now handle: ${ticket.subject}`,
  );
  return toTicketView(next, await getSetting(ctx, 'support.reopenDays'));
}

/**
 * One file attached to a ticket or to one of its messages, for download: the owner sees the ticket's
 * and the non-internal messages' files of their own tickets; staff every file of any ticket. One D1
 * round trip, then the object from storage.
 * @throws AppError NOT_FOUND (no such ticket of the caller's, or the file is not attached to it)
 */
export async function readTicketFile(ctx: AuthedContext, id: string, fileId: string, asOwner: boolean) {
  const read = await batchOf(ctx.db, {
    ticket: ticketQuery(ctx, id, asOwner),
    messages: ctx.db
      .select({ attachments: supportMessages.attachments })
      .from(supportMessages)
      .where(and(eq(supportMessages.ticketId, id), asOwner ? not(supportMessages.internal) : undefined)),
    file: ctx.db
      .select({ contentType: files.contentType, size: files.size, storageKey: files.storageKey })
      .from(files)
      .where(eq(files.id, fileId)),
  });
  const ticket = read.ticket[0];
  const attached =
    ticket && [ticket.attachments, ...read.messages.map((m) => m.attachments)].some((ids) => ids.includes(fileId));
  const file = attached ? read.file[0] : undefined;
  const object = file ? await ctx.ports.storage.get(file.storageKey) : null;
  if (!file || !object) throw notFound('Support ticket file');
  return { file: { contentType: file.contentType, size: file.size }, body: object.body };
}
