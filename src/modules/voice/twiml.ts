import { escapeHtml } from '../../lib/html';

/**
 * TwiML, the XML Twilio reads to know what to do with a call. Every value is escaped (`escapeHtml`
 * writes character references, which XML reads the same), so a setting or number cannot add markup.
 */

type Attributes = Record<string, string | number | undefined>;

function element(name: string, attributes: Attributes, content?: string): string {
  const attrs = Object.entries(attributes)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ` ${key}="${escapeHtml(String(value))}"`)
    .join('');
  return content === undefined ? `<${name}${attrs}/>` : `<${name}${attrs}>${content}</${name}>`;
}

/** A whole TwiML document around `verbs`. */
export function twimlResponse(...verbs: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${verbs.join('')}</Response>`;
}

/** `<Say>`: Twilio reads `text` to the caller. */
export const say = (text: string) => element('Say', {}, escapeHtml(text));

export const hangup = () => element('Hangup', {});

/**
 * `<Dial>` of one number: Twilio rings `number` and connects the caller when it answers. `callerId` is
 * what the dialled phone shows (default: the caller's number); `statusCallback` receives the dialled
 * leg's status changes.
 */
export function dialNumber(
  number: string,
  options: { callerId?: string; statusCallback?: string; timeoutSeconds?: number } = {},
): string {
  const numberElement = element(
    'Number',
    options.statusCallback
      ? {
          statusCallback: options.statusCallback,
          statusCallbackEvent: 'initiated ringing answered completed',
          statusCallbackMethod: 'POST',
        }
      : {},
    escapeHtml(number),
  );
  return element('Dial', { callerId: options.callerId, timeout: options.timeoutSeconds ?? 30 }, numberElement);
}
