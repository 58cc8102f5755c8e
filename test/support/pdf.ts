import { decodePDFRawStream, PDFArray, PDFDocument, PDFRawStream, type PDFRef } from 'pdf-lib';

/** Reading back the PDFs the API makes (receipts), for tests: pdf-lib writes, this reads its text. */

// WinAnsi bytes 0x80–0x9F that differ from Latin-1 (the ones a receipt can print).
const WIN_ANSI: Record<number, string> = {
  128: '€',
  133: '…',
  145: '‘',
  146: '’',
  147: '“',
  148: '”',
  149: '•',
  150: '–',
  151: '—',
};

/**
 * The text lines a PDF draws, page by page: each content stream inflated, each `<hex> Tj` operand
 * (how pdf-lib writes text with a standard font) decoded from WinAnsi.
 */
export async function pdfText(bytes: Uint8Array): Promise<{ doc: PDFDocument; pages: string[][] }> {
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  const pages = doc.getPages().map((page) => {
    const contents = page.node.Contents();
    const refs = contents instanceof PDFArray ? contents.asArray() : [contents];
    const lines: string[] = [];
    for (const ref of refs) {
      const stream = doc.context.lookup(ref as PDFRef);
      if (!(stream instanceof PDFRawStream)) throw new Error('expected a raw content stream');
      const ops = String.fromCharCode(...decodePDFRawStream(stream).decode());
      for (const [, hex = ''] of ops.matchAll(/<([0-9A-Fa-f]*)> Tj/g)) {
        let text = '';
        for (let i = 0; i < hex.length; i += 2) {
          const byte = Number.parseInt(hex.slice(i, i + 2), 16);
          text += WIN_ANSI[byte] ?? String.fromCharCode(byte);
        }
        lines.push(text);
      }
    }
    return lines;
  });
  return { doc, pages };
}
