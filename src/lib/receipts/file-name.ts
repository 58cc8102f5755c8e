/**
 * The file name a receipt is downloaded and emailed as: `receipt-KW-2026-000042.pdf`. Anything but
 * letters, digits, `.`, `_` and `-` becomes `_`, so the name is safe in a Content-Disposition header.
 */
export const receiptFileName = (number: string) => `receipt-${number.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf`;
