import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { withActor } from '../context';
import { type AppEnv, createRouter } from '../http/hono';
import { defineRoute, errorOf } from '../http/openapi';
import { AppError } from '../lib/errors';
import { encodeSeat, joinRoom, SEAT_HEADER } from '../modules/calls/room.service';
import { authorityHeaders, connectAuthority } from './hub-auth';
import { CLOSE } from './protocol';
import { ConnectHeaders, ConnectQuery } from './realtime.routes';
import { MAX_ROOM_FRAME_BYTES, ROOM_CLOSE, ROOM_RATE, ROOM_SUBPROTOCOL } from './room-protocol';

const ConnectParams = z.object({
  id: z.string().min(1).max(64).openapi({ description: 'The video appointment.', example: 'apt_01J9Z8Q4M2' }),
});

const CareConnectParams = z.object({
  id: z.string().min(1).max(64).openapi({ description: 'The virtual care session.', example: 'cse_01J9Z8Q4M2' }),
});

const RoomQuery = ConnectQuery.extend({
  invite: z.string().min(1).max(128).optional().openapi({
    description: 'A guest’s invitation code (`POST /api/v1/appointments/{id}/call/invitations`): single use.',
    example: 'nI4cS0m5Qm4xq3u8W0b8d2Vf',
  }),
});

const connectRoute = defineRoute({
  method: 'get',
  path: '/appointments/{id}/call/connect',
  operationId: 'calls.connect',
  tags: ['Calls'],
  summary: 'Join the video room of an appointment (WebSocket)',
  description: [
    'Upgrades to a WebSocket in the appointment’s room. Authenticate as on `GET /api/v1/realtime`: the ' +
      `subprotocols \`${ROOM_SUBPROTOCOL}, bearer.<accessToken>\` or \`?ticket=\`; a guest adds \`?invite=\`.`,
    'Who: the appointment’s patient or doctor, or a guest the doctor invited (anyone else: 404). When: a video ' +
      'appointment, pending, confirmed or in progress, from `calls.openMinutesBefore` before its start (earlier: 409 ' +
      'ROOM_NOT_OPEN with `details.opensAt`) until `calls.joinGraceMinutes` after its end, or until the doctor ends an ' +
      'in-progress visit (then 409 ROOM_CLOSED).',
    'The doctor is in at once; the patient and guests wait until the doctor admits them. Frames are JSON text ' +
      `\`{ "event", "data"?, "id"? }\` of at most ${MAX_ROOM_FRAME_BYTES} bytes; more than ${ROOM_RATE.limit} frames in ` +
      `${ROOM_RATE.windowMs / 1000} s answer RATE_LIMITED and ${ROOM_RATE.closeAt} close the socket (${CLOSE.flooded}). ` +
      `Close codes: ${CLOSE.expired} token expired, ${CLOSE.revoked} session revoked, ${ROOM_CLOSE.replaced} joined again ` +
      `elsewhere, ${ROOM_CLOSE.ended} the visit ended. Every event and payload: docs/calls.md, Room protocol.`,
  ].join('\n\n'),
  request: { params: ConnectParams, query: RoomQuery, headers: ConnectHeaders },
  responses: {
    101: {
      description: 'Switching Protocols: in the room (or its waiting room); from here on, frames of the room protocol',
      headers: {
        Upgrade: { description: 'The protocol switched to.', schema: { type: 'string', enum: ['websocket'] } },
        'Sec-WebSocket-Protocol': {
          description: `\`${ROOM_SUBPROTOCOL}\` when the client offered subprotocols.`,
          schema: { type: 'string', enum: [ROOM_SUBPROTOCOL] },
        },
      },
    },
    400: errorOf('Both a bearer subprotocol and a ticket, or subprotocols without kinwell.v1 (BAD_REQUEST)'),
    401: errorOf('No credential, a bad/expired/revoked token, a used or expired ticket, or a token in the URL'),
    403: errorOf('The account is blocked or deactivated (USER_BLOCKED, USER_INACTIVE)'),
    404: errorOf('No such appointment, or not the caller’s and no valid invitation (NOT_FOUND)'),
    409: errorOf('Not a video visit (CONFLICT), too early (ROOM_NOT_OPEN), or over, cancelled or ended (ROOM_CLOSED)'),
    426: errorOf('Not a WebSocket upgrade (UPGRADE_REQUIRED)'),
  },
});

const careConnectRoute = defineRoute({
  ...connectRoute,
  path: '/care-sessions/{id}/call/connect',
  operationId: 'careSessions.call.connect',
  tags: ['Care sessions'],
  summary: 'Join the call room of a virtual care session (WebSocket)',
  description: [
    'The room of a `virtual` care session, with the protocol of the video visits (`GET /appointments/{id}/call/connect`, ' +
      'docs/calls.md): the caregiver hosts (role `caregiver`: in at once, admits, ends the call), the patient waits to be ' +
      'admitted. Open from `calls.openMinutesBefore` before the start while the session is requested, confirmed or in ' +
      'progress. The patient’s first admission checks the session in; the caregiver’s `call:end` checks it out (the bill) ' +
      'or, when the patient never came, marks a no-show. No guests.',
  ].join('\n\n'),
  request: { params: CareConnectParams, query: ConnectQuery, headers: ConnectHeaders },
  responses: {
    ...connectRoute.responses,
    404: errorOf('No such care session, or not the caller’s (NOT_FOUND)'),
    409: errorOf(
      'An in-person session (CONFLICT), too early (ROOM_NOT_OPEN), or over, cancelled or ended (ROOM_CLOSED)',
    ),
  },
});

export const roomRouter = createRouter()
  .openapi(connectRoute, (c) => connect(c, c.req.valid('param').id))
  .openapi(careConnectRoute, (c) => connect(c, c.req.valid('param').id));

/** Upgrades into the room of the visit in the path, once `joinRoom` let the caller in. */
async function connect(c: Context<AppEnv>, visitId: string): Promise<Response> {
  const ctx = c.get('ctx');
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
    c.header('upgrade', 'websocket');
    throw new AppError('UPGRADE_REQUIRED', 'Connect with a WebSocket upgrade (Upgrade: websocket)');
  }
  const { invite, ...query } = c.req.query();
  // The bearer's session check rides on joinRoom's read: a join is two round trips (read, write).
  const { actor, authority, subprotocol } = await connectAuthority(
    ctx,
    { protocols: c.req.header('sec-websocket-protocol'), query },
    { armed: true },
  );
  const seat = await joinRoom(withActor(ctx, actor), visitId, invite);
  const answer = await ctx.ports.realtime.joinRoom(
    seat.appointmentId,
    { ...authorityHeaders(authority), [SEAT_HEADER]: encodeSeat(seat) },
    { request: c.req.raw, protocol: subprotocol ? ROOM_SUBPROTOCOL : undefined },
  );
  if (!('refused' in answer)) return answer.accepted;
  if (answer.refused === 410) {
    throw new AppError('ROOM_CLOSED', 'This visit has ended', { details: { reason: 'ended' } });
  }
  ctx.log.log('error', 'calls.room_refused', { status: answer.refused });
  throw new AppError('INTERNAL', 'The room could not be joined');
}
