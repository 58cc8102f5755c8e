/** A VEVENT's properties by name: each with its parameters (`;TZID=…`) and its value. */
export type IcsProps = Record<string, { params: string; value: string }>;

/** Unfolds an iCalendar text (RFC 5545 §3.1) into its lines and its VEVENTs' properties, keyed by name. */
export function parseIcs(text: string): { lines: string[]; events: IcsProps[] } {
  const lines = text.replace(/\r\n[ \t]/g, '').split('\r\n');
  const events: IcsProps[] = [];
  let current: IcsProps | null = null;
  for (const line of lines) {
    if (line === 'BEGIN:VEVENT') current = {};
    else if (line === 'END:VEVENT') {
      events.push(current!);
      current = null;
    } else if (current) {
      const match = /^([A-Z-]+)((?:;[^:]*)?):(.*)$/.exec(line)!;
      current[match[1]!] = { params: match[2]!, value: match[3]! };
    }
  }
  return { lines, events };
}

/** A VEVENT's property values by name, parameters dropped: for `toMatchObject`. */
export function icsValues(event: IcsProps): Record<string, string> {
  return Object.fromEntries(Object.entries(event).map(([name, prop]) => [name, prop.value]));
}
