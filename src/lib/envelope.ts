import type { AppError, FieldError } from './errors';

/**
 * The response envelope of docs/api.md, built in one place. Handlers call `ok()` / `page()`; the error
 * handler calls `errorBody()`.
 */
export interface SuccessEnvelope<T> {
  success: true;
  message: string;
  data: T;
  timestamp: string;
}

export interface Pagination {
  current: number;
  pages: number;
  total: number;
  limit: number;
  hasNext: boolean;
  hasPrev: boolean;
}

export interface Page<T> {
  items: T[];
  pagination: Pagination;
}

export interface ErrorEnvelope {
  success: false;
  message: string;
  error: { code: string; statusCode: number; details?: unknown };
  errors?: FieldError[];
  data?: unknown;
  requestId: string;
  timestamp: string;
}

/** Wraps `data` in the success envelope. */
export function ok<T>(data: T, message = 'OK', now: Date = new Date()): SuccessEnvelope<T> {
  return { success: true, message, data, timestamp: now.toISOString() };
}

/**
 * Builds a page of a list from the items of the requested page and the total row count.
 * @example page(rows, 97, { page: 1, limit: 20 }) // pagination.pages === 5, hasNext === true
 */
export function page<T>(items: T[], total: number, query: { page: number; limit: number }): Page<T> {
  const pages = Math.max(1, Math.ceil(total / query.limit));
  return {
    items,
    pagination: {
      current: query.page,
      pages,
      total,
      limit: query.limit,
      hasNext: query.page < pages,
      hasPrev: query.page > 1,
    },
  };
}

/** The error envelope for an AppError. Never carries stacks, SQL or secrets. */
export function errorBody(err: AppError, requestId: string, now: Date = new Date()): ErrorEnvelope {
  const body: ErrorEnvelope = {
    success: false,
    message: err.message,
    error: { code: err.code, statusCode: err.status },
    requestId,
    timestamp: now.toISOString(),
  };
  if (err.details !== undefined) body.error.details = err.details;
  if (err.fields?.length) body.errors = err.fields;
  if (err.data !== undefined) body.data = err.data;
  return body;
}
