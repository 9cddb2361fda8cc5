import { NvidiaParseError } from './sample.ts';

/**
 * A small, strict XML reader for nvidia-smi's `-q -x` output (no XML parser is installed,
 * and this document needs only elements, attributes, text, comments, a prolog and a
 * DOCTYPE without an internal subset). Mismatched or unclosed tags are errors with the line;
 * nothing is guessed.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated direct text, trimmed. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string, lineOf: () => number): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (whole, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    const v = ENTITIES[e];
    if (v === undefined) throw new NvidiaParseError(`XML line ${lineOf()}: unknown entity ${whole}`);
    return v;
  });
}

export function parseXml(text: string): XmlElement {
  let pos = 0;
  const lineOf = (at = pos) => text.slice(0, at).split('\n').length;
  const fail = (msg: string): never => {
    throw new NvidiaParseError(`XML line ${lineOf()}: ${msg}`);
  };
  const stack: Array<XmlElement & { raw: string[] }> = [];
  let root: XmlElement | undefined;

  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const chunk = lt === -1 ? text.slice(pos) : text.slice(pos, lt);
    if (chunk.trim() !== '') {
      const top = stack[stack.length - 1];
      if (top === undefined) fail(`text outside the root element: "${chunk.trim().slice(0, 40)}"`);
      else top.raw.push(decode(chunk, lineOf));
    }
    if (lt === -1) break;
    pos = lt;
    if (text.startsWith('<?', pos)) {
      const end = text.indexOf('?>', pos);
      if (end === -1) fail('unterminated <?…?>');
      pos = end + 2;
    } else if (text.startsWith('<!--', pos)) {
      const end = text.indexOf('-->', pos);
      if (end === -1) fail('unterminated comment');
      pos = end + 3;
    } else if (text.startsWith('<!DOCTYPE', pos)) {
      const end = text.indexOf('>', pos);
      if (end === -1 || text.slice(pos, end).includes('[')) fail('unsupported DOCTYPE (internal subset)');
      pos = end + 1;
    } else if (text.startsWith('<![CDATA[', pos)) {
      const end = text.indexOf(']]>', pos);
      if (end === -1) fail('unterminated CDATA');
      const top = stack[stack.length - 1];
      if (top === undefined) fail('CDATA outside the root element');
      else top.raw.push(text.slice(pos + 9, end));
      pos = end + 3;
    } else if (text.startsWith('</', pos)) {
      const m = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(text.slice(pos, pos + 200));
      if (m === null) fail('malformed closing tag');
      const name = (m as RegExpExecArray)[1] as string;
      const top = stack.pop();
      if (top === undefined || top.name !== name) fail(`</${name}> closes ${top === undefined ? 'nothing' : `<${top.name}>`}`);
      const el = top as XmlElement & { raw: string[] };
      el.text = el.raw.join('').trim();
      const parent = stack[stack.length - 1];
      const done: XmlElement = { name: el.name, attrs: el.attrs, children: el.children, text: el.text };
      if (parent === undefined) root = done;
      else parent.children.push(done);
      pos += (m as RegExpExecArray)[0].length;
    } else {
      const end = text.indexOf('>', pos);
      if (end === -1) fail('unterminated tag');
      const body = text.slice(pos + 1, end);
      const selfClosing = body.endsWith('/');
      const m = /^([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*\/?$/.exec(body);
      if (m === null) fail(`malformed tag <${body.slice(0, 60)}>`);
      const [, name, attrText] = m as RegExpExecArray;
      if (root !== undefined) fail(`<${name}> after the root element closed`);
      const attrs: Record<string, string> = {};
      for (const a of (attrText ?? '').matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        attrs[a[1] as string] = decode(a[2] ?? a[3] ?? '', lineOf);
      }
      const el = { name: name as string, attrs, children: [], text: '', raw: [] as string[] };
      if (selfClosing) {
        const parent = stack[stack.length - 1];
        const done: XmlElement = { name: el.name, attrs, children: [], text: '' };
        if (parent === undefined) root = done;
        else parent.children.push(done);
      } else {
        stack.push(el);
      }
      pos = end + 1;
    }
  }
  if (stack.length > 0) fail(`<${(stack[stack.length - 1] as XmlElement).name}> is never closed`);
  if (root === undefined) throw new NvidiaParseError('XML: no root element');
  return root;
}

export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

export function children(el: XmlElement | undefined, name: string): XmlElement[] {
  return el === undefined ? [] : el.children.filter((c) => c.name === name);
}

/** Text at a path of child names; undefined when any step is absent. */
export function textAt(el: XmlElement | undefined, ...path: string[]): string | undefined {
  let cur = el;
  for (const p of path) cur = child(cur, p);
  return cur?.text;
}
