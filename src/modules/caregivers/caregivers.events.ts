import { type SocketEventMap, socketEvent } from '../../http/socket-events';
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
