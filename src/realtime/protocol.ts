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
