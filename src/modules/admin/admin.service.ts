/**
 * The back office's people management. Each verb lives in ./service/<verb>.ts; the rules they apply
 * (who may act on whom, allowed transitions) are the pure functions of ./admin.policy.ts.
 */
export { applyBulk } from './service/bulk';
export { createUser, INVITATION_TTL_MS, invitationEmail } from './service/create';
export { applyDelete } from './service/delete';
export { getUser, listUsers } from './service/list';
export { applyLogout } from './service/logout';
export { applyStatus, type StatusInput } from './service/status';
export { applySubRoles } from './service/sub-roles';
export { applyVerify, verifiedEmail } from './service/verify';
