import type { AuthedContext } from '../../../context';
import { AppError } from '../../../lib/errors';
import {
  BULK_FAILURE_CODES,
  type BulkAction,
  type BulkFailureCode,
  type BulkInput,
  type BulkItem,
} from '../admin.schemas';
import { applyDelete } from './delete';
import { applyStatus } from './status';

const run: Record<BulkAction, (ctx: AuthedContext, id: string, reason: string | null) => Promise<unknown>> = {
  activate: (ctx, id, reason) => applyStatus(ctx, id, { action: 'activate', reason }, { bulk: true }),
  deactivate: (ctx, id, reason) => applyStatus(ctx, id, { action: 'deactivate', reason }, { bulk: true }),
  delete: (ctx, id, reason) => applyDelete(ctx, id, reason),
};

const isReportable = (code: string): code is BulkFailureCode =>
  (BULK_FAILURE_CODES as readonly string[]).includes(code);

/**
 * Applies one action to each id independently, with the same rules as the single-account routes, and
 * reports each outcome; one failure never stops the others.
 */
export async function applyBulk(ctx: AuthedContext, input: BulkInput) {
  const results: BulkItem[] = [];
  for (const id of input.ids) {
    try {
      await run[input.action](ctx, id, input.reason ?? null);
      results.push({ id, ok: true });
    } catch (err) {
      if (err instanceof AppError && isReportable(err.code)) {
        results.push({ id, ok: false, code: err.code, message: err.message });
      } else {
        ctx.log.log('error', 'admin.bulk_item_failed', {
          userId: id,
          action: input.action,
          error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        });
        results.push({ id, ok: false, code: 'INTERNAL', message: 'Something went wrong; quote the request id' });
      }
    }
  }
  const succeeded = results.filter((r) => r.ok).length;
  return {
    action: input.action,
    results,
    counts: { requested: input.ids.length, succeeded, failed: results.length - succeeded },
  };
}
