/**
 * How deep the specialization taxonomy may go: a specialty, its subspecialty and a focus within it
 * (Internal Medicine → Cardiology → Interventional Cardiology; Pediatrics → Pediatric Cardiology).
 * Three levels hold the taxonomies clinics publish without turning the directory filter into a maze.
 */
export const MAX_SPECIALIZATION_DEPTH = 3;

/** What the read batch found about a proposed parent, for `parentProblem`. */
export interface ParentFacts {
  /** The specialization being created (null) or moved. */
  childId: string | null;
  parentId: string;
  /** The parent's level: 1 for a top-level one, 0 when no such specialization exists. */
  parentLevel: number;
  /** Whether the child is the parent or one of the parent's ancestors (the move would close a loop). */
  childAboveParent: boolean;
  /** How many levels sit below the child (0 for a leaf or a new one). */
  childHeight: number;
}

/**
 * Why `parentId` cannot be the child's parent, or null when it can: the parent must exist, must not be
 * the child itself or below it (the taxonomy stays a tree), and the child with everything below it
 * must still fit within MAX_SPECIALIZATION_DEPTH levels.
 */
export function parentProblem(facts: ParentFacts): string | null {
  if (facts.childId !== null && facts.childId === facts.parentId) return 'A specialization cannot be its own parent';
  if (facts.parentLevel === 0) return `Unknown specialization: ${facts.parentId}`;
  if (facts.childAboveParent) return 'The parent sits below this specialization; that would make a loop';
  if (facts.parentLevel + 1 + facts.childHeight > MAX_SPECIALIZATION_DEPTH) {
    return `Specializations nest at most ${MAX_SPECIALIZATION_DEPTH} levels deep; this would make ${
      facts.parentLevel + 1 + facts.childHeight
    }`;
  }
  return null;
}
