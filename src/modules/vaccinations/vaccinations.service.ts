/**
 * Vaccine schedules: the doses of the caller and their dependents. Each verb lives in
 * ./service/<verb>.ts; how rows become views is ./service/views.ts, and the guarded writes, audit
 * events and checks the verbs share are ./service/shared.ts. The pure date and age rules are
 * ./vaccinations.policy.ts.
 */
export { administerSchedule } from './service/administer';
export { createSchedules } from './service/create';
export { deleteSchedule } from './service/delete';
export { getSchedule, listSchedules } from './service/list';
export { switchSchedule } from './service/switch';
export { updateSchedule } from './service/update';
export { toScheduleView } from './service/views';
