import type { Understanding } from '../../../src/modules/bot/bot-tools';
import { parseMessage } from '../../../src/modules/bot/parser/parse';
import { EVAL_CONTEXT, EVAL_SET } from './eval-set';

/** Sorted keys, no undefined values, sorted `missing`/`ambiguous`: two Understandings' comparable form. */
export function canonical(understanding: Understanding): string {
  const sortLists = (value: Understanding): unknown =>
    value.kind === 'tool'
      ? { ...value, missing: [...value.missing].sort(), ambiguous: [...value.ambiguous].sort() }
      : value;
  return JSON.stringify(sortLists(understanding), (_key, value) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  );
}

export interface EvalFailure {
  message: string;
  expected: Understanding;
  got: Understanding;
}

/** Runs the offline parser over the evaluation set: how many answers are exactly the expected ones. */
export function scoreEvalSet(): { exact: number; total: number; failures: EvalFailure[] } {
  const failures: EvalFailure[] = [];
  for (const { message, context, expected } of EVAL_SET) {
    const got = parseMessage(message, context ?? EVAL_CONTEXT);
    if (canonical(got) !== canonical(expected)) failures.push({ message, expected, got });
  }
  return { exact: EVAL_SET.length - failures.length, total: EVAL_SET.length, failures };
}
