import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { goalProgress, healthScores, quizAttempts, wellnessFeedback, wellnessGoals } from '../../db/schema';

/**
 * The wellness module's part of an account erasure (both modes): the account's health scores, goals,
 * progress entries, feedback, and quiz attempts with their answers go. Goal templates an erased admin
 * proposed stay (they hold the admin's id only and other users' goals may name them), and so do the
 * quiz questions and quizzes an erased content manager wrote.
 */
export function wellnessErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  return {
    statements: [
      ctx.db.delete(healthScores).where(eq(healthScores.userId, userId)),
      ctx.db.delete(goalProgress).where(eq(goalProgress.userId, userId)),
      ctx.db.delete(wellnessGoals).where(eq(wellnessGoals.userId, userId)),
      ctx.db.delete(wellnessFeedback).where(eq(wellnessFeedback.userId, userId)),
      ctx.db.delete(quizAttempts).where(eq(quizAttempts.userId, userId)),
    ],
  };
}
