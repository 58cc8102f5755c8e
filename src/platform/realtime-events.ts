/**
 * The events the server pushes to a user's sockets unasked, by name → payload: the one union every
 * `RealtimePort.notify` call and every hub push is checked against, so a misspelt name or a wrong
 * payload does not compile. The names are part of the contract (docs/api.md, Real time) and never
 * change.
 *
 * This interface is empty here on purpose: its entries are declared in src/realtime/push-events.ts,
 * the one list of pushed events, which may import the modules' view types (this layer may not). A
 * module that pushes a new event adds it there, then calls `ctx.ports.realtime.notify(userId, name, data)`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in src/realtime/push-events.ts
export interface PushEvents {}

/** The name of a pushed event. */
export type PushEventName = keyof PushEvents & string;

/** One pushed frame as the client receives it: `{ event, data }` (a push never carries an `id`). */
export type PushFrame = { [E in PushEventName]: { event: E; data: PushEvents[E] } }[PushEventName];
