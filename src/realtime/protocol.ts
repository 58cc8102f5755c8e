import { z } from 'zod';

/** Every socket frame: `{ event, data, id? }` (ARCHITECTURE.md, Real time). */
export const FrameSchema = z.object({
  event: z.string().min(1).max(64),
  data: z.unknown().optional(),
  id: z.string().max(64).optional(),
});

export type Frame = z.infer<typeof FrameSchema>;

/** Parses one inbound text frame; null when it is not a valid frame. */
export function parseFrame(raw: string | ArrayBuffer): Frame | null {
  if (typeof raw !== 'string' || raw.length > 64 * 1024) return null;
  try {
    const parsed = FrameSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function frame(event: string, data: unknown, id?: string): string {
  return JSON.stringify(id === undefined ? { event, data } : { event, data, id });
}

/** Completes a close handshake; codes the peer may not send back (1005, 1006, 1015) become 1000. */
export function closeReply(socket: WebSocket, code: number): void {
  const sendable =
    code === 1000 || (code >= 3000 && code <= 4999) || (code >= 1001 && code <= 1014 && code !== 1005 && code !== 1006);
  try {
    socket.close(sendable ? code : 1000, 'closing');
  } catch {
    // Already closed by the runtime.
  }
}
