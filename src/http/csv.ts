import type { Context } from 'hono';
import Papa from 'papaparse';

/** One row of a CSV export: column name to cell (null and undefined are empty cells). */
export type CsvRow = Readonly<Record<string, string | number | boolean | null | undefined>>;

/**
 * The CSV of `rows` (header row, CRLF, UTF-8). Columns are `columns` when given (so an empty table
 * still has its header row), else the keys of the first row. A text cell that a spreadsheet would run
 * as a formula (`=`, `+`, `-`, `@`, tab, CR first) is prefixed with `'`; numbers are left as numbers.
 */
export function toCsv(rows: readonly CsvRow[], columns?: readonly string[]): string {
  const fields = [...(columns ?? Object.keys(rows[0] ?? {}))];
  return Papa.unparse(
    { fields, data: rows.map((row) => fields.map((field) => row[field] ?? '')) },
    { newline: '\r\n', escapeFormulae: true },
  );
}

/**
 * A table of numbers as a CSV download: `text/csv` with `Content-Disposition: attachment;
 * filename="<filename>"`, never cached. The one way every `?format=csv` export answers.
 * @example return csvResponse(c, 'inventory-2026-12-04.csv', rows, ['itemId', 'name', 'stock']);
 */
export function csvResponse(
  _c: Context,
  filename: string,
  rows: readonly CsvRow[],
  columns?: readonly string[],
): Response {
  return new Response(toCsv(rows, columns), {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${filename.replace(/["\\\r\n]/g, '_')}"`,
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}
