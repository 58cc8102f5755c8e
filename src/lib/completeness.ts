/** How complete a profile is: the share of its fields that are filled in, and which are not. */
export interface Completeness {
  /** 0–100, rounded. */
  score: number;
  /** The fields still empty, in the order of `checks`. */
  missing: string[];
}

/** A profile field and whether `value` has it filled in. */
export type FieldCheck<T> = readonly [field: string, filled: (value: T) => boolean];

/** The completeness of `value` against `checks` (a profile's fields, in the order its screen shows them). */
export function completenessOf<T>(value: T, checks: readonly FieldCheck<T>[]): Completeness {
  const missing = checks.filter(([, filled]) => !filled(value)).map(([field]) => field);
  return { score: Math.round((100 * (checks.length - missing.length)) / checks.length), missing };
}
