import { escapeHtml } from '../html';

/**
 * The one branded frame every email is drawn in, rendered twice from the same blocks: HTML (tables and
 * inline CSS, which Outlook, Gmail and Apple Mail all lay out the same way, no external images or
 * fonts) and a plain-text part. Every piece of text is escaped here, once, so no name or message a
 * person typed can add markup; templates never write HTML themselves.
 */

/** One piece of an email body. */
export type Block =
  /** A paragraph; line breaks in it are kept. */
  | { kind: 'text'; text: string }
  /** A one-time code, large and spaced. */
  | { kind: 'code'; code: string }
  /** Label–value rows (when, with whom, where). */
  | { kind: 'facts'; rows: [label: string, value: string][] }
  /** A button; left out (in both parts) unless `url` is http(s). */
  | { kind: 'action'; label: string; url: string }
  /** Small print under the main text. */
  | { kind: 'note'; text: string };

/** What a template writes: the words, never the markup. */
export interface EmailContent {
  subject: string;
  /** The preview inbox lists show after the subject. */
  preheader: string;
  heading: string;
  blocks: Block[];
}

export interface Frame {
  /** BCP 47 language of the text (the `lang` attribute). */
  lang: string;
  appName: string;
  /** Lines of the footer (why this email came, that replies are not read). */
  footer: string[];
}

const FONT = "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const BRAND = '#0f766e';
const INK = '#1f2937';
const MUTED = '#64748b';
const PAGE = '#f3f6f8';
const LINE = '#e2e8f0';
const TABLE = 'role="presentation" cellpadding="0" cellspacing="0" border="0"';

/** `url` if it is an absolute http(s) URL (normalised), else null: no `javascript:` or `data:` links. */
export function safeUrl(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

const paragraph = (text: string, style = '') =>
  `<p style="margin:0 0 16px;${style}">${escapeHtml(text).replace(/\r?\n/g, '<br>')}</p>`;

function blockHtml(block: Block): string {
  switch (block.kind) {
    case 'text':
      return paragraph(block.text);
    case 'note':
      return paragraph(block.text, `font-size:14px;line-height:20px;color:${MUTED};`);
    case 'code':
      return `<table ${TABLE} style="margin:0 0 16px;"><tr><td style="background-color:#f0fdfa;border:1px solid #99f6e4;border-radius:6px;padding:12px 20px;font-family:Consolas,Menlo,monospace;font-size:28px;line-height:36px;letter-spacing:6px;font-weight:bold;color:#0f172a;">${escapeHtml(block.code)}</td></tr></table>`;
    case 'facts':
      return `<table ${TABLE} width="100%" style="margin:0 0 16px;border-collapse:collapse;">${block.rows
        .map(
          ([label, value]) =>
            `<tr><td style="padding:6px 12px 6px 0;border-bottom:1px solid ${LINE};color:${MUTED};font-size:14px;vertical-align:top;width:35%;">${escapeHtml(label)}</td><td style="padding:6px 0;border-bottom:1px solid ${LINE};font-weight:bold;vertical-align:top;">${escapeHtml(value)}</td></tr>`,
        )
        .join('')}</table>`;
    case 'action': {
      const url = safeUrl(block.url);
      if (!url) return '';
      return `<table ${TABLE} style="margin:8px 0 24px;"><tr><td style="border-radius:6px;background-color:${BRAND};"><a href="${escapeHtml(url)}" style="display:inline-block;padding:12px 24px;${FONT};font-size:16px;font-weight:bold;color:#ffffff;text-decoration:none;border-radius:6px;">${escapeHtml(block.label)}</a></td></tr></table>`;
    }
  }
}

function blockText(block: Block): string | null {
  switch (block.kind) {
    case 'text':
    case 'note':
      return block.text;
    case 'code':
      return block.code;
    case 'facts':
      return block.rows.map(([label, value]) => `${label}: ${value}`).join('\n');
    case 'action': {
      const url = safeUrl(block.url);
      return url ? `${block.label}: ${url}` : null;
    }
  }
}

/** The HTML document and the plain-text part of `content` in `frame`. */
export function renderLayout(content: EmailContent, frame: Frame): { html: string; text: string } {
  const body = content.blocks.map(blockHtml).join('');
  const footer = frame.footer.map((line) => `<p style="margin:0 0 6px;">${escapeHtml(line)}</p>`).join('');
  const html = `<!doctype html>
<html lang="${escapeHtml(frame.lang)}" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<meta name="supported-color-schemes" content="light">
<title>${escapeHtml(content.subject)}</title>
</head>
<body style="margin:0;padding:0;background-color:${PAGE};">
<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;font-size:1px;line-height:1px;color:${PAGE};opacity:0;">${escapeHtml(content.preheader)}</div>
<table ${TABLE} width="100%" style="background-color:${PAGE};">
<tr><td align="center" style="padding:24px 12px;">
<table ${TABLE} width="600" style="width:100%;max-width:600px;background-color:#ffffff;border:1px solid ${LINE};border-radius:8px;">
<tr><td style="background-color:${BRAND};padding:20px 32px;border-radius:8px 8px 0 0;${FONT};font-size:20px;line-height:28px;font-weight:bold;color:#ffffff;">${escapeHtml(frame.appName)}</td></tr>
<tr><td style="padding:32px;${FONT};font-size:16px;line-height:24px;color:${INK};">
<h1 style="margin:0 0 16px;font-size:22px;line-height:30px;color:#0f172a;">${escapeHtml(content.heading)}</h1>
${body}
</td></tr>
<tr><td style="padding:20px 32px;border-top:1px solid ${LINE};${FONT};font-size:12px;line-height:18px;color:${MUTED};">${footer}</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
  const parts = [content.heading, ...content.blocks.map(blockText).filter((part): part is string => part !== null)];
  const text = `${parts.join('\n\n')}\n\n--\n${frame.footer.join('\n')}\n`;
  return { html, text };
}
