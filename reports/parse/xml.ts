// A small XML reader for incoming JUnit files: elements, attributes, text, CDATA, comments, the
// five predefined entities and character references. No DTDs or namespaces: JUnit has none.
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
  line: number;
}

export class XmlSyntaxError extends Error {
  constructor(readonly line: number, message: string, readonly partial: XmlElement | undefined) {
    super(message);
  }
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (all, e: string) => {
    if (e.startsWith("#x")) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith("#")) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? all;
  });
}

/** Parse a document; on a syntax error throws XmlSyntaxError carrying the tree read so far. */
export function parseXml(src: string): XmlElement {
  let i = 0;
  let line = 1;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const advance = (to: number) => {
    for (let k = i; k < to; k++) if (src.charCodeAt(k) === 10) line++;
    i = to;
  };
  const fail = (msg: string): never => { throw new XmlSyntaxError(line, msg, root); };
  while (i < src.length) {
    const lt = src.indexOf("<", i);
    if (lt < 0) {
      if (stack.length) stack[stack.length - 1]!.text += decode(src.slice(i));
      advance(src.length);
      break;
    }
    if (lt > i && stack.length) stack[stack.length - 1]!.text += decode(src.slice(i, lt));
    advance(lt);
    if (src.startsWith("<!--", i)) {
      const end = src.indexOf("-->", i);
      if (end < 0) fail("comment not closed");
      advance(end + 3);
    } else if (src.startsWith("<![CDATA[", i)) {
      const end = src.indexOf("]]>", i);
      if (end < 0) fail("CDATA section not closed");
      if (stack.length) stack[stack.length - 1]!.text += src.slice(i + 9, end);
      advance(end + 3);
    } else if (src.startsWith("<?", i) || src.startsWith("<!", i)) {
      const end = src.indexOf(">", i);
      if (end < 0) fail("declaration not closed");
      advance(end + 1);
    } else if (src.startsWith("</", i)) {
      const m = /^<\/([\w:.-]+)\s*>/.exec(src.slice(i, i + 256));
      if (!m) fail("malformed end tag");
      const open = stack.pop();
      if (!open || open.name !== m![1]) fail(`end tag </${m![1]}> does not match <${open?.name ?? "(none)"}>`);
      advance(i + m![0].length);
    } else {
      const m = /^<([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(src.slice(i, src.indexOf(">", i) + 1 || undefined));
      if (!m) fail("malformed start tag");
      const el: XmlElement = { name: m![1]!, attrs: {}, children: [], text: "", line };
      for (const a of m![2]!.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) el.attrs[a[1]!] = decode(a[2] ?? a[3] ?? "");
      if (stack.length) stack[stack.length - 1]!.children.push(el);
      else if (root) fail("more than one root element");
      else root = el;
      advance(i + m![0].length);
      if (!m![3]) stack.push(el);
    }
  }
  if (!root) fail("no root element");
  if (stack.length) fail(`<${stack[stack.length - 1]!.name}> (line ${stack[stack.length - 1]!.line}) not closed at the end of the input`);
  return root!;
}
