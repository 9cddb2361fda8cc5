/**
 * cgminer API reply bytes → JSON object. Pure. Real firmware sends slightly broken JSON;
 * each repair below names what needs it, and runs only outside string literals so that
 * text such as "chain_xtime1":"{}" is never touched.
 */
export type CgminerReply = Record<string, unknown>;

export class CgminerParseError extends Error {
  readonly snippet: string;
  constructor(message: string, snippet: string) {
    super(`${message}: …${snippet}…`);
    this.name = 'CgminerParseError';
    this.snippet = snippet;
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** What may follow a backslash inside a JSON string (RFC 8259 §7). */
const VALID_ESCAPE = /^(?:["\\/bfnrt]|u[0-9A-Fa-f]{4})/;

/** Bare float words C's printf writes for non-finite doubles (cgminer formats with %f). */
const NON_FINITE = /^-?(?:inf(?:inity)?|nan)(?![A-Za-z0-9_])/i;

export function repairJson(text: string): string {
  let out = '';
  let inString = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (inString) {
      if (c === '\\' && i + 1 < text.length) {
        // A backslash before a character JSON does not escape (`\_`, `\ `, `\,`, `\=`, `\|`):
        // cgminer-family api.c escapes `,` `|` `=` with a backslash for its non-JSON output
        // (escape_string(str, isjson=false)), and a string so escaped reaches a JSON reply as
        // an invalid escape. The firmware meant the character itself: keep it, drop the
        // backslash. No recording in ../shared/fixtures/miners has one (see the test).
        out += VALID_ESCAPE.test(text.slice(i + 1, i + 6)) ? c + text[i + 1] : text[i + 1];
        i += 2;
        continue;
      }
      out += c;
      if (c === '"') inString = false;
      i++;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      i++;
      continue;
    }
    if (c === '}') {
      // Antminer DR5 (cgminer 4.9.0) `stats`: consecutive STATS entries written as `}{`
      // with the comma missing.
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j] as string)) j++;
      out += text[j] === '{' ? '},' : '}';
      i++;
      continue;
    }
    const rest = text.slice(i, i + 10);
    const word = NON_FINITE.exec(rest);
    if (word && (c === '-' || /[A-Za-z]/.test(c)) && !/[A-Za-z0-9_.]/.test(out.at(-1) ?? '')) {
      // `inf`, `-nan`: JSON has no spelling for them; a value that is not a number is null
      // (and becomes "missing" in the reading, never a number).
      out += 'null';
      i += word[0].length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** Strips the trailing NUL(s) cgminer ends replies with, repairs, parses. */
export function parseCgminerReply(input: Uint8Array | string): CgminerReply {
  let text = typeof input === 'string' ? input : decoder.decode(input);
  const nul = text.indexOf('\0');
  if (nul >= 0) text = text.slice(0, nul);
  text = text.trim();
  if (text.length === 0) throw new CgminerParseError('empty cgminer reply', '');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const repaired = repairJson(text);
    try {
      value = JSON.parse(repaired);
    } catch (err) {
      const message = (err as Error).message;
      const at = /position (\d+)/.exec(message);
      const pos = at ? Number(at[1]) : 0;
      throw new CgminerParseError(`cgminer reply is not JSON even after repair (${message})`, snippetAt(repaired, pos));
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CgminerParseError('cgminer reply is not a JSON object', snippetAt(text, 0));
  }
  return value as CgminerReply;
}

function snippetAt(text: string, pos: number): string {
  return text.slice(Math.max(0, pos - 40), pos + 40).replace(/[\x00-\x1f]/g, ' ');
}
