import type { Context } from 'hono';
import Papa from 'papaparse';

/** A CSV cell: text, a number, a yes/no, or nothing (an empty cell). */
export type CsvCell = string | number | boolean | null | undefined;

/**
 * Answers `rows` as a CSV download: a header row of the first row's keys (every row has the same keys,
 * in that order), CRLF line ends, UTF-8, fields quoted where CSV needs it (papaparse), and
 * `Content-Disposition: attachment; filename="<filename>"`. Formula-injection safe: a text cell that a
 * spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) is prefixed with `'`;
 * numbers stay numbers. Private to the caller: never cached by shared caches. With `columns`, those are
 * the header row and the cells taken from each row, in that order (so an empty table still has its
 * header row).
 * @example return csvResponse(c, 'usage-2026-11-01-2026-11-30.csv', [{ day: '2026-11-01', signIns: 12 }]);
 */
export function csvResponse(
  c: Context,
  filename: string,
  rows: readonly Record<string, CsvCell>[],
  columns?: readonly string[],
): Response {
  const fields = columns ? [...columns] : Object.keys(rows[0] ?? {});
  const body = Papa.unparse(
    { fields, data: rows.map((row) => fields.map((field) => row[field] ?? '')) },
    { newline: '\r\n', escapeFormulae: true },
  );
  const safeName = filename.replace(/["\\\r\n]/g, '_');
  return c.body(body, 200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${safeName}"`,
    'cache-control': 'private, no-store',
    'x-content-type-options': 'nosniff',
  });
}
