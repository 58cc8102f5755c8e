import type { z } from '@hono/zod-openapi';
import { assertAllowed } from '../../access/policy';
import { type OperationId, ROUTE_POLICIES } from '../../access/route-policies';
import type { AuthedContext } from '../../context';
import { fieldErrors } from '../../http/hono';
import { AppError } from '../../lib/errors';
import type { SocketEventHandler, SocketEventMap } from '../../realtime/events';
import { pendingRequests, suggestUsers } from './caregiver-lists.service';
import {
  SendRequestBody,
  SocketPendingData,
  SocketRemoveData,
  SocketSuggestionsData,
  SocketUpdateStatusData,
} from './caregivers.schemas';
import { leavePatient, removeCaregiver, sendRequest, updateRequestStatus } from './caregivers.service';

/**
 * A socket event backed by the same service as a REST route: the caller must pass that route's policy
 * (roles, verification) exactly as over HTTP, then `data` is validated (a ZodError becomes
 * VALIDATION_FAILED with the same field errors as a REST body), then the service runs.
 */
function socketEvent<S extends z.ZodType>(
  operationId: OperationId,
  schema: S,
  run: (ctx: AuthedContext, input: z.output<S>) => Promise<unknown>,
): SocketEventHandler {
  const policy = ROUTE_POLICIES[operationId];
  return async (ctx, data) => {
    assertAllowed(policy, ctx.actor);
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      throw new AppError('VALIDATION_FAILED', 'Validation failed', { fields: fieldErrors(parsed.error, 'data') });
    }
    return run(ctx, parsed.data);
  };
}

/**
 * The caregiver events of docs/api.md. Each returns the payload of its `<event>:success` reply; an AppError
 * becomes the `<event>:error` reply.
 * - `request:send` `{ receiverId, message? }` → the request (as POST /caregiver/requests); the receiver
 *   is pushed `request:incoming` `{ request, requester: { id, name } }`.
 * - `request:updateStatus` `{ requestId, status: "accepted" | "rejected" }` → `{ request, link }` (as
 *   PATCH /caregiver/requests/{id}); on accept the requester is pushed `request:accepted:notify`
 *   `{ request, caregiver: { id, name } }`.
 * - `request:getAllPending` `{}` → `{ incoming, outgoing }` (as GET /caregiver/requests).
 * - `user:getSuggestedUsers` `{ search?, page?, limit? }` → `{ items, pagination }` (as GET /caregiver/suggestions;
 *   an empty or absent search answers the caller's own network).
 * - `request:removeCaregiver` `{ caregiverId }` (the patient removes a caregiver) or `{ patientId }` (a
 *   caregiver stops caring for a patient) → the ended link; the other side is pushed
 *   `request:removedByUser` `{ linkId, patientId, caregiverId, by }`.
 */
export const caregiverSocketEvents: SocketEventMap = {
  'request:send': socketEvent('caregivers.requests.send', SendRequestBody, sendRequest),
  'request:updateStatus': socketEvent('caregivers.requests.updateStatus', SocketUpdateStatusData, (ctx, input) =>
    updateRequestStatus(ctx, input.requestId, input.status),
  ),
  'request:getAllPending': socketEvent('caregivers.requests.pending', SocketPendingData, (ctx) => pendingRequests(ctx)),
  'user:getSuggestedUsers': socketEvent('caregivers.suggestions', SocketSuggestionsData, suggestUsers),
  'request:removeCaregiver': socketEvent('caregivers.myCaregivers.remove', SocketRemoveData, (ctx, input) =>
    input.caregiverId ? removeCaregiver(ctx, input.caregiverId) : leavePatient(ctx, input.patientId!),
  ),
};
