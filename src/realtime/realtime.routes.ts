import { z } from '@hono/zod-openapi';
import { createRouter } from '../http/hono';
import { defineRoute, errorOf, jsonResponse } from '../http/openapi';
import { ok } from '../lib/envelope';
import { AppError } from '../lib/errors';
import { authorityHeaders, connectAuthority, issueTicket, TICKET_TTL_MS } from './hub-auth';
import { CLOSE, MAX_FRAME_BYTES, RATE, SUBPROTOCOL } from './protocol';

const tags = ['Real time'];

const TicketSchema = z
  .object({
    ticket: z.string().openapi({ description: 'Pass as `?ticket=` to `GET /api/v1/realtime`; works once.' }),
    expiresAt: z.string().openapi({ description: 'ISO instant after which the ticket no longer opens a socket.' }),
  })
  .openapi('RealtimeTicket', {
    example: { ticket: 'q3Vb0yJq0nYk6sS2tq5Pp2m1h0ZkS9cQ4oQ8rR1uX7E', expiresAt: '2026-01-15T10:30:30.000Z' },
  });

/** The query and headers every socket handshake takes (the user hub's, the video rooms'). */
export const ConnectQuery = z.object({
  ticket: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .openapi({ description: 'A ticket from `POST /api/v1/realtime/ticket` (single use, 30 s).', example: 'q3Vb0y…' }),
});

export const ConnectHeaders = z.object({
  'sec-websocket-protocol': z
    .string()
    .optional()
    .openapi({
      description: `Subprotocols offered: \`${SUBPROTOCOL}\`, plus \`bearer.<accessToken>\` unless a ticket is used.`,
      example: `${SUBPROTOCOL}, bearer.eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…`,
    }),
});

const ticketRoute = defineRoute({
  method: 'post',
  path: '/realtime/ticket',
  operationId: 'realtime.ticket',
  tags,
  summary: 'Issue a single-use ticket for opening a WebSocket',
  description:
    `For clients that cannot set the \`Sec-WebSocket-Protocol\` header: the ticket opens one socket within ` +
    `${TICKET_TTL_MS / 1000} s of being issued, for the caller's account and session, and never again. Only its ` +
    'SHA-256 is stored. The socket it opens has authority for an access token’s lifetime (15 minutes) from the ' +
    'ticket’s issue; extend it with `auth:refresh`.',
  responses: { 201: jsonResponse(TicketSchema, 'The ticket (shown once)') },
});

const connectRoute = defineRoute({
  method: 'get',
  path: '/realtime',
  operationId: 'realtime.connect',
  tags,
  summary: 'Open the real-time WebSocket',
  description: [
    'Upgrades to a WebSocket (`Upgrade: websocket`; anything else answers 426) that lands in the caller’s own hub. ' +
      'Authenticate with exactly one of:',
    `- the subprotocols \`${SUBPROTOCOL}, bearer.<accessToken>\` (the server answers \`Sec-WebSocket-Protocol: ${SUBPROTOCOL}\`);`,
    '- `?ticket=<ticket>` from `POST /api/v1/realtime/ticket` (single use, 30 s).',
    'An access token in the URL is refused (401). Failures answer before the upgrade, in the error envelope: ' +
      '401 UNAUTHENTICATED / TOKEN_INVALID / TOKEN_EXPIRED / TOKEN_REVOKED, 403 USER_BLOCKED / USER_INACTIVE.',
    `Frames are JSON text \`{ "event", "data"?, "id"? }\` of at most ${MAX_FRAME_BYTES} bytes; a reply echoes \`id\`. ` +
      `Each frame re-checks the token's expiry (close ${CLOSE.expired}) and the session (close ${CLOSE.revoked}); ` +
      `more than ${RATE.limit} frames in ${RATE.windowMs / 1000} s answer RATE_LIMITED and ${RATE.closeAt} close ` +
      `the socket (${CLOSE.flooded}). Events, payloads and codes: docs/api.md, Real-time socket.`,
  ].join('\n\n'),
  request: { query: ConnectQuery, headers: ConnectHeaders },
  responses: {
    // OpenAPI has no WebSocket model; the handshake's answer is documented as the HTTP response it is,
    // and openApiDocument (src/http/openapi-document.ts) files the operation under `x-websocket`.
    101: {
      description: 'Switching Protocols: the socket is open; from here on, frames of the protocol above',
      headers: {
        Upgrade: { description: 'The protocol switched to.', schema: { type: 'string', enum: ['websocket'] } },
        Connection: { description: 'Always `Upgrade`.', schema: { type: 'string', enum: ['Upgrade'] } },
        'Sec-WebSocket-Accept': {
          description: 'The hash of the client’s `Sec-WebSocket-Key` (RFC 6455).',
          schema: { type: 'string', example: 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' },
        },
        'Sec-WebSocket-Protocol': {
          description: `\`${SUBPROTOCOL}\` when the client offered subprotocols; absent when it offered none (a ticket alone).`,
          schema: { type: 'string', enum: [SUBPROTOCOL] },
        },
      },
    },
    400: errorOf('Both a bearer subprotocol and a ticket, or subprotocols without kinwell.v1 (BAD_REQUEST)'),
    401: errorOf('No credential, a bad/expired/revoked token, a used or expired ticket, or a token in the URL'),
    403: errorOf('The account is blocked or deactivated (USER_BLOCKED, USER_INACTIVE)'),
    426: errorOf('Not a WebSocket upgrade (UPGRADE_REQUIRED)'),
  },
});

export const realtimeRouter = createRouter()
  .openapi(ticketRoute, async (c) => c.json(ok(await issueTicket(c.get('ctx')), 'Ticket issued'), 201))
  .openapi(connectRoute, async (c) => {
    const ctx = c.get('ctx');
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      c.header('upgrade', 'websocket');
      throw new AppError('UPGRADE_REQUIRED', 'Connect with a WebSocket upgrade (Upgrade: websocket)');
    }
    const { actor, authority, subprotocol } = await connectAuthority(ctx, {
      protocols: c.req.header('sec-websocket-protocol'),
      query: c.req.query(),
    });
    ctx.actor = actor;
    const answer = await ctx.ports.realtime.connect(authority.userId, authorityHeaders(authority), {
      request: c.req.raw,
      protocol: subprotocol ? SUBPROTOCOL : undefined,
    });
    if ('refused' in answer) {
      ctx.log.log('error', 'realtime.hub_refused', { status: answer.refused });
      throw new AppError('INTERNAL', 'The socket could not be opened');
    }
    return answer.accepted;
  });
