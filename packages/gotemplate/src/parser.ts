// Parser for Go text/template, following text/template/parse's grammar and
// its error wording. Variables are resolved here to frame slots so execution
// never looks names up; functions must be known at parse time, as in Go.

import type {
  ActionNode, ArgNode, CommandNode, ListNode, Node, NumberNode, PipeNode, StringNode, VarDecl,
} from './ast.ts';
import { nodeString } from './ast.ts';
import { lineColumn, TemplateParseError } from './errors.ts';
import { lex } from './lexer.ts';
import type { Token } from './lexer.ts';

export interface ParsedTemplate {
  name: string;
  root: ListNode;
  /** Number of variable slots a frame of this template needs ($ is slot 0). */
  slots: number;
}

export interface ParseResult {
  main: ParsedTemplate;
  /** Every template in the set: the main one and those from define/block. */
  templates: Map<string, ParsedTemplate>;
  src: string;
}

interface EndMarker { kind: 'end'; pos: number }
interface ElseMarker { kind: 'else'; pos: number; chained: 'if' | 'with' | null }
type ListItem = Node | EndMarker | ElseMarker;

/** Go's item.String(), used in "unexpected X in Y" messages. */
function tokenString(t: Token): string {
  if (t.type === 'eof') return 'EOF';
  if (t.type === 'keyword' || t.type === 'dot' || t.type === 'nil') return `<${t.val}>`;
  if (t.val.length > 10) return `${goQuote(t.val).slice(0, 11)}...`;
  return goQuote(t.val);
}

function goQuote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export class Parser {
  private readonly src: string;
  private readonly name: string;
  private readonly funcs: Set<string>;
  private toks: Token[] = [];
  private i = 0;
  private vars: { name: string; slot: number }[] = [];
  private slots = 0;
  private rangeDepth = 0;
  private readonly templates = new Map<string, ParsedTemplate>();

  constructor(src: string, name: string, funcs: Set<string>) {
    this.src = src;
    this.name = name;
    this.funcs = funcs;
  }

  parse(): ParseResult {
    this.toks = lex(this.src);
    this.startTemplate();
    const root: ListNode = { kind: 'list', pos: 0, nodes: [] };
    while (this.peek().type !== 'eof') {
      if (this.peek().type === 'leftDelim') {
        const save = this.i;
        this.next();
        const t = this.nextNonSpace();
        if (t.type === 'keyword' && t.val === 'define') {
          this.parseDefinition();
          continue;
        }
        this.i = save;
      }
      const n = this.textOrAction();
      if (n.kind === 'end' || n.kind === 'else') this.failAt(n.pos, `unexpected ${n.kind === 'end' ? '{{end}}' : '{{else}}'}`);
      else root.nodes.push(n);
    }
    const main: ParsedTemplate = { name: this.name, root, slots: this.slots };
    this.addTemplate(main, 0);
    return { main: this.templates.get(this.name) ?? main, templates: this.templates, src: this.src };
  }

  // ---- token helpers -------------------------------------------------------

  private peek(): Token { return this.toks[this.i]!; }
  private next(): Token {
    const t = this.toks[this.i++]!;
    if (t.type === 'error') this.failAt(t.pos, t.val);
    return t;
  }
  private nextNonSpace(): Token {
    let t = this.next();
    while (t.type === 'space') t = this.next();
    return t;
  }
  private peekNonSpace(): Token {
    let k = this.i;
    while (this.toks[k]!.type === 'space') k++;
    return this.toks[k]!;
  }
  private expect(type: Token['type'], context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }
  private unexpected(t: Token, context: string): never {
    if (t.type === 'eof') this.failAt(t.pos, `unexpected EOF in ${context}`);
    this.failAt(t.pos, `unexpected ${tokenString(t)} in ${context}`);
  }
  private fail(msg: string): never {
    const t = this.toks[Math.max(0, this.i - 1)] ?? this.peek();
    this.failAt(t.pos, msg);
  }
  private failAt(pos: number, msg: string): never {
    const { line, column } = lineColumn(this.src, pos);
    throw new TemplateParseError(this.name, line, column, msg);
  }

  // ---- templates and lists -------------------------------------------------

  private startTemplate(): void {
    this.vars = [{ name: '$', slot: 0 }];
    this.slots = 1;
  }

  private parseDefinition(): void {
    const ctx = 'define clause';
    const t = this.nextNonSpace();
    if (t.type !== 'string' && t.type !== 'rawString') this.unexpected(t, ctx);
    const name = this.unquote(t);
    this.expect('rightDelim', ctx);
    const saved = { vars: this.vars, slots: this.slots, rangeDepth: this.rangeDepth };
    this.startTemplate();
    this.rangeDepth = 0;
    const [root, end] = this.itemList();
    if (end.kind !== 'end') this.failAt(end.pos, `unexpected {{else}} in ${ctx}`);
    this.addTemplate({ name, root, slots: this.slots }, t.pos);
    Object.assign(this, saved);
  }

  /** Go's Tree.add: an empty body never replaces a definition; two non-empty ones are an error. */
  private addTemplate(t: ParsedTemplate, namePos: number): void {
    const old = this.templates.get(t.name);
    if (old && isEmptyTree(t.root)) return;
    if (old && !isEmptyTree(old.root)) this.failAt(namePos, `template: multiple definition of template "${t.name}"`);
    this.templates.set(t.name, t);
  }

  private itemList(): [ListNode, EndMarker | ElseMarker] {
    const list: ListNode = { kind: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (n.kind === 'end' || n.kind === 'else') return [list, n];
      list.nodes.push(n);
    }
    this.failAt(this.peek().pos, 'unexpected EOF');
  }

  private textOrAction(): ListItem {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'text': return { kind: 'text', pos: t.pos, text: t.val };
      case 'leftDelim': return this.action();
      case 'comment': return { kind: 'comment', pos: t.pos, text: t.val };
      default: this.unexpected(t, 'input');
    }
  }

  private action(): ListItem {
    const t = this.nextNonSpace();
    if (t.type === 'keyword') {
      switch (t.val) {
        case 'block': return this.blockControl();
        case 'break': return this.breakControl(t, 'break');
        case 'continue': return this.breakControl(t, 'continue');
        case 'else': return this.elseControl(t);
        case 'end': this.expect('rightDelim', 'end'); return { kind: 'end', pos: t.pos };
        case 'if': return this.parseControl('if', t);
        case 'range': return this.parseControl('range', t);
        case 'template': return this.templateControl();
        case 'with': return this.parseControl('with', t);
      }
    }
    this.i--;
    const pos = this.peekNonSpace().pos;
    const node: ActionNode = { kind: 'action', pos, pipe: this.pipeline('command', 'rightDelim') };
    return node;
  }

  private breakControl(t: Token, word: 'break' | 'continue'): Node {
    const n = this.nextNonSpace();
    if (n.type !== 'rightDelim') this.unexpected(n, `{{${word}}}`);
    if (this.rangeDepth === 0) this.failAt(t.pos, `{{${word}}} outside {{range}}`);
    return { kind: word, pos: t.pos };
  }

  private elseControl(t: Token): ElseMarker {
    const p = this.peekNonSpace();
    if (p.type === 'keyword' && (p.val === 'if' || p.val === 'with')) {
      // "{{else if ...}}" is "{{else}}{{if ...}}...{{end}}{{end}}" sharing one end.
      return { kind: 'else', pos: p.pos, chained: p.val };
    }
    this.expect('rightDelim', 'else');
    return { kind: 'else', pos: t.pos, chained: null };
  }

  private parseControl(context: 'if' | 'range' | 'with', t: Token): Node {
    const mark = this.vars.length;
    const pipe = this.pipeline(context, 'rightDelim');
    if (context === 'range') this.rangeDepth++;
    const [list, next] = this.itemList();
    if (context === 'range') this.rangeDepth--;
    let elseList: ListNode | null = null;
    if (next.kind === 'else') {
      if (next.chained && (context === 'if' || context === 'with') && next.chained === context) {
        const kw = this.nextNonSpace(); // the "if"/"with" keyword
        elseList = { kind: 'list', pos: next.pos, nodes: [this.parseControl(context, kw)] };
      } else if (next.chained) {
        this.failAt(next.pos, `unexpected <${next.chained}> in input`);
      } else {
        const [el, end] = this.itemList();
        if (end.kind !== 'end') this.failAt(end.pos, 'expected end; found {{else}}');
        elseList = el;
      }
    }
    this.vars.length = mark;
    return { kind: context, pos: t.pos, pipe, list, elseList };
  }

  private templateControl(): Node {
    const ctx = 'template clause';
    const nameTok = this.nextNonSpace();
    if (nameTok.type !== 'string' && nameTok.type !== 'rawString') this.unexpected(nameTok, ctx);
    const name = this.unquote(nameTok);
    let pipe: PipeNode | null = null;
    if (this.nextNonSpace().type !== 'rightDelim') {
      this.i--;
      pipe = this.pipeline(ctx, 'rightDelim');
    }
    return { kind: 'template', pos: nameTok.pos, name, pipe };
  }

  private blockControl(): Node {
    const ctx = 'block clause';
    const nameTok = this.nextNonSpace();
    if (nameTok.type !== 'string' && nameTok.type !== 'rawString') this.unexpected(nameTok, ctx);
    const name = this.unquote(nameTok);
    const pipe = this.pipeline(ctx, 'rightDelim');
    const saved = { vars: this.vars, slots: this.slots, rangeDepth: this.rangeDepth };
    this.startTemplate();
    this.rangeDepth = 0;
    const [root, end] = this.itemList();
    if (end.kind !== 'end') this.failAt(end.pos, `unexpected {{else}} in ${ctx}`);
    this.addTemplate({ name, root, slots: this.slots }, nameTok.pos);
    Object.assign(this, saved);
    return { kind: 'template', pos: nameTok.pos, name, pipe };
  }

  // ---- pipelines -----------------------------------------------------------

  private declareVar(name: string, pos: number): VarDecl {
    const slot = this.slots++;
    this.vars.push({ name, slot });
    return { name, slot, pos };
  }

  private lookupVar(name: string, pos: number): number {
    for (let k = this.vars.length - 1; k >= 0; k--) if (this.vars[k]!.name === name) return this.vars[k]!.slot;
    this.failAt(pos, `undefined variable "${name}"`);
  }

  private pipeline(context: string, end: 'rightDelim' | 'rightParen'): PipeNode {
    const pipe: PipeNode = { kind: 'pipe', pos: this.peekNonSpace().pos, isAssign: false, decl: [], cmds: [] };
    // Declarations: "$x :=", "$x =", and in range "$i, $v :=".
    const pending: { name: string; pos: number }[] = [];
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') break;
      const save = this.i;
      this.nextNonSpace();
      const nxt = this.peekNonSpace();
      if (nxt.type === 'assign' || nxt.type === 'declare') {
        this.nextNonSpace();
        pipe.isAssign = nxt.type === 'assign';
        pending.push({ name: v.val, pos: v.pos });
        break;
      }
      if (nxt.type === 'charItem' && nxt.val === ',') {
        this.nextNonSpace();
        pending.push({ name: v.val, pos: v.pos });
        if (context === 'range' && pending.length < 2) {
          const p = this.peekNonSpace();
          if (p.type === 'variable' || p.type === 'rightDelim' || p.type === 'rightParen') continue;
          this.failAt(p.pos, 'range can only initialize variables');
        }
        this.failAt(nxt.pos, `too many declarations in ${context}`);
      }
      this.i = save;
      break;
    }
    // Declared names are visible only after the pipeline, but assignments
    // resolve now (to existing variables).
    const declare = () => {
      for (const d of pending) {
        pipe.decl.push(pipe.isAssign ? { name: d.name, slot: this.lookupVar(d.name, d.pos), pos: d.pos } : this.declareVar(d.name, d.pos));
      }
    };
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        this.checkPipeline(pipe, context, t);
        declare();
        return pipe;
      }
      switch (t.type) {
        case 'bool': case 'char': case 'dot': case 'field': case 'identifier': case 'number': case 'nil':
        case 'rawString': case 'string': case 'variable': case 'leftParen':
          this.i--;
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string, at: Token): void {
    if (pipe.cmds.length === 0) this.failAt(at.pos, `missing value for ${context}`);
    for (let k = 1; k < pipe.cmds.length; k++) {
      const a = pipe.cmds[k]!.args[0]!;
      if (a.kind === 'bool' || a.kind === 'dot' || a.kind === 'nil' || a.kind === 'number' || a.kind === 'string') {
        this.failAt(a.pos, `non executable command in pipeline stage ${k + 1}`);
      }
    }
  }

  private command(): CommandNode {
    const cmd: CommandNode = { kind: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const op = this.operand();
      if (op) cmd.args.push(op);
      const t = this.next();
      if (t.type === 'space') continue;
      if (t.type === 'rightDelim' || t.type === 'rightParen') this.i--;
      else if (t.type !== 'pipe') this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.fail('empty command');
    return cmd;
  }

  private operand(): ArgNode | null {
    const term = this.term();
    if (!term) return null;
    if (this.peek().type !== 'field') return term;
    const fields: string[] = [];
    // Go positions a field chain at its first chained field (".b" in ".a.b").
    const pos = this.peek().pos;
    while (this.peek().type === 'field') fields.push(this.next().val.slice(1));
    switch (term.kind) {
      case 'field': return { kind: 'field', pos, ident: [...term.ident, ...fields] };
      case 'variable': return { kind: 'variable', pos, slot: term.slot, ident: [...term.ident, ...fields] };
      case 'bool': case 'string': case 'number': case 'nil': case 'dot':
        this.failAt(term.pos, `unexpected . after term ${JSON.stringify(nodeString(term))}`);
      default:
        return { kind: 'chain', pos, node: term, field: fields };
    }
  }

  private term(): ArgNode | null {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'identifier':
        if (!this.funcs.has(t.val)) this.failAt(t.pos, `function "${t.val}" not defined`);
        return { kind: 'identifier', pos: t.pos, ident: t.val };
      case 'dot': return { kind: 'dot', pos: t.pos };
      case 'nil': return { kind: 'nil', pos: t.pos };
      case 'variable': return { kind: 'variable', pos: t.pos, ident: [t.val], slot: this.lookupVar(t.val, t.pos) };
      case 'field': return { kind: 'field', pos: t.pos, ident: [t.val.slice(1)] };
      case 'bool': return { kind: 'bool', pos: t.pos, value: t.val === 'true' };
      case 'char': case 'number': return this.number(t);
      case 'leftParen': return this.pipeline('parenthesized pipeline', 'rightParen');
      case 'string': case 'rawString': {
        const s: StringNode = { kind: 'string', pos: t.pos, quoted: t.val, text: this.unquote(t) };
        return s;
      }
    }
    this.i--;
    return null;
  }

  private number(t: Token): NumberNode {
    const text = t.val;
    if (t.type === 'char') {
      const cp = this.unquoteChar(t);
      return { kind: 'number', pos: t.pos, text, isFloat: false, int: BigInt(cp), float: cp };
    }
    if (/i$/.test(text)) this.failAt(t.pos, `complex numbers are not supported: ${text}`);
    const clean = text.replace(/_/g, '');
    const neg = clean.startsWith('-');
    const body = clean.replace(/^[+-]/, '');
    if (!/[0-9]/.test(body)) this.failAt(t.pos, `illegal number syntax: "${text}"`);
    const isHex = /^0[xX]/.test(body);
    const looksFloat = isHex ? /[pP.]/.test(body) : /[.eE]/.test(body);
    if (!looksFloat) {
      let v: bigint;
      try {
        if (/^0[oO]/.test(body)) v = BigInt('0o' + body.slice(2));
        else if (/^0[0-7]+$/.test(body)) v = BigInt('0o' + body.slice(1));
        else if (/^0[bB]/.test(body) || isHex || /^[0-9]+$/.test(body)) v = BigInt(body);
        else throw new Error();
      } catch {
        this.failAt(t.pos, `illegal number syntax: "${text}"`);
      }
      if (neg) v = -v;
      if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) this.failAt(t.pos, `${text} overflows int`);
      return { kind: 'number', pos: t.pos, text, isFloat: false, int: v, float: Number(v) };
    }
    const f = isHex ? parseHexFloat(body) : Number(body);
    if (!Number.isFinite(f)) this.failAt(t.pos, `illegal number syntax: "${text}"`);
    return { kind: 'number', pos: t.pos, text, isFloat: true, float: neg ? -f : f };
  }

  private unquote(t: Token): string {
    if (t.type === 'rawString') return t.val.slice(1, -1).replace(/\r/g, '');
    try {
      return unquoteGo(t.val.slice(1, -1), '"');
    } catch (e) {
      this.failAt(t.pos, `${(e as Error).message}`);
    }
  }

  private unquoteChar(t: Token): number {
    let s: string;
    try {
      s = unquoteGo(t.val.slice(1, -1), "'");
    } catch {
      this.failAt(t.pos, 'invalid syntax');
    }
    const cps = [...s];
    if (cps.length !== 1) this.failAt(t.pos, `malformed character constant: ${t.val}`);
    return cps[0]!.codePointAt(0)!;
  }
}

function parseHexFloat(body: string): number {
  const m = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/.exec(body);
  if (!m) return NaN;
  const int = m[1] || '0';
  const frac = m[2] ?? '';
  const mant = parseInt(int + frac, 16) / Math.pow(16, frac.length);
  return mant * Math.pow(2, Number(m[3] ?? 0));
}

/** Interpret Go escape sequences of a quoted string body. */
export function unquoteGo(body: string, quote: string): string {
  if (!body.includes('\\')) return body;
  let out = '';
  const bytes: number[] = [];
  const flushBytes = () => {
    if (bytes.length) {
      out += Buffer.from(bytes).toString('utf8');
      bytes.length = 0;
    }
  };
  for (let k = 0; k < body.length; k++) {
    const c = body[k]!;
    if (c !== '\\') {
      flushBytes();
      out += c;
      continue;
    }
    const e = body[++k];
    switch (e) {
      case 'a': flushBytes(); out += '\x07'; break;
      case 'b': flushBytes(); out += '\b'; break;
      case 'f': flushBytes(); out += '\f'; break;
      case 'n': flushBytes(); out += '\n'; break;
      case 'r': flushBytes(); out += '\r'; break;
      case 't': flushBytes(); out += '\t'; break;
      case 'v': flushBytes(); out += '\v'; break;
      case '\\': flushBytes(); out += '\\'; break;
      case "'": case '"':
        if (e !== quote) throw new Error('invalid syntax');
        flushBytes(); out += e; break;
      case 'x': {
        const h = body.slice(k + 1, k + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new Error('invalid syntax');
        bytes.push(parseInt(h, 16));
        k += 2;
        break;
      }
      case 'u': case 'U': {
        const len = e === 'u' ? 4 : 8;
        const h = body.slice(k + 1, k + 1 + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(h)) throw new Error('invalid syntax');
        flushBytes();
        out += String.fromCodePoint(parseInt(h, 16));
        k += len;
        break;
      }
      default: {
        if (e !== undefined && e >= '0' && e <= '7') {
          const o = body.slice(k, k + 3);
          if (!/^[0-7]{3}$/.test(o)) throw new Error('invalid syntax');
          bytes.push(parseInt(o, 8));
          k += 2;
          break;
        }
        throw new Error('invalid syntax');
      }
    }
  }
  flushBytes();
  return out;
}

function isEmptyTree(l: ListNode): boolean {
  return l.nodes.every((n) => (n.kind === 'text' && /^[\t\n\v\f\r \u0085\u00a0]*$/.test(n.text)) || n.kind === 'comment');
}

export const BUILTIN_NAMES = [
  'and', 'or', 'not', 'len', 'index', 'slice', 'print', 'printf', 'println',
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'html', 'js', 'urlquery', 'call',
];

export function parse(src: string, name: string, funcNames: Iterable<string> | undefined): ParseResult {
  const funcs = new Set<string>(BUILTIN_NAMES);
  if (funcNames) for (const f of funcNames) funcs.add(f);
  const r = new Parser(src, name, funcs).parse();
  return r;
}
