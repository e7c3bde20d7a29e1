/**
 * A Python module as the source map reads it: statements nested by indentation (classes, functions, if/for/while/
 * with/try blocks, assignments, expression statements, returns) and expressions down to calls, attributes,
 * subscripts, literals and f-strings. What a model file needs to say where a module is built; anything else
 * (operators, comprehensions, lambdas) is kept as an opaque node with its place. Never throws on odd code: an
 * unreadable statement becomes `other`.
 */
import { type LogicalLine, type Token, tokenize } from './python-tokens';

interface Place {
  line: number;
  col: number;
}

export interface PyArg {
  /** Keyword argument name. */
  name?: string;
  star?: '*' | '**';
  value: PyExpr;
}

export type PyExpr = Place &
  (
    | { kind: 'name'; id: string }
    | { kind: 'attr'; value: PyExpr; attr: string }
    | { kind: 'call'; func: PyExpr; args: PyArg[] }
    | { kind: 'subscript'; value: PyExpr; index: PyExpr }
    | { kind: 'list' | 'tuple' | 'set'; items: PyExpr[] }
    | { kind: 'dict'; entries: { key?: PyExpr; value: PyExpr }[] }
    | { kind: 'str'; value: string; fstring: boolean }
    | { kind: 'num'; text: string }
    | { kind: 'const'; value: 'None' | 'True' | 'False' | '...' }
    | { kind: 'starred'; value: PyExpr }
    /** An operator chain, conditional, lambda, comprehension or slice; `parts` are the operands that were read. */
    | { kind: 'opaque'; text: string; parts?: PyExpr[] }
  );

export interface PyParam {
  name: string;
  default?: PyExpr;
  star?: '*' | '**';
}

export type PyStmt = Place & { endLine: number } & (
    | { kind: 'class'; name: string; bases: PyArg[]; body: PyStmt[] }
    | { kind: 'def'; name: string; params: PyParam[]; body: PyStmt[] }
    | { kind: 'if' | 'elif' | 'while' | 'with'; test?: PyExpr; body: PyStmt[] }
    | { kind: 'for'; target?: PyExpr; iter?: PyExpr; body: PyStmt[] }
    | { kind: 'else' | 'try' | 'except' | 'finally'; body: PyStmt[] }
    | { kind: 'assign'; targets: PyExpr[]; value: PyExpr }
    | { kind: 'augassign'; target: PyExpr; op: string; value: PyExpr }
    | { kind: 'return'; value?: PyExpr }
    | { kind: 'expr'; value: PyExpr }
    | { kind: 'import'; names: { module: string; name?: string; as: string }[] }
    | { kind: 'other' }
  );

export type PyBlockStmt = Extract<PyStmt, { body: PyStmt[] }>;
export const hasBody = (s: PyStmt): s is PyBlockStmt => 'body' in s;

const COMPOUND = new Set([
  'class',
  'def',
  'if',
  'elif',
  'else',
  'for',
  'while',
  'with',
  'try',
  'except',
  'finally',
  'async',
]);

export function parsePython(source: string): PyStmt[] {
  const lines = tokenize(source);
  let k = 0;
  // Statements at one indentation; a block's body is the lines indented deeper than its header.
  const block = (indent: number): PyStmt[] => {
    const out: PyStmt[] = [];
    while (k < lines.length && lines[k].indent >= indent) {
      const l = lines[k++];
      out.push(...statements(l, () => (k < lines.length && lines[k].indent > l.indent ? block(lines[k].indent) : [])));
    }
    return out;
  };
  return block(lines[0]?.indent ?? 0);
}

/** The statements of one logical line: a compound header (its body from the following lines or after its colon), or simple statements split at ';'. */
function statements(l: LogicalLine, body: () => PyStmt[]): PyStmt[] {
  const t = l.tokens;
  const first = t[0];
  if (first.kind === 'name' && COMPOUND.has(first.text)) {
    const colon = headerColon(t);
    if (colon >= 0) {
      const inline = t.slice(colon + 1);
      const header = compound(t.slice(0, colon), l);
      if (!header) return [other(l)];
      header.body = inline.length ? simpleStatements(inline, l) : body();
      header.endLine = Math.max(l.endLine, ...header.body.map((b) => b.endLine));
      return [header];
    }
  }
  return simpleStatements(t, l);
}

/** The colon that ends a compound statement's header (outside brackets; a lambda's colon is skipped). */
function headerColon(t: Token[]): number {
  let depth = 0;
  let lambdas = 0;
  for (let i = 0; i < t.length; i++) {
    const x = t[i];
    if (x.kind === 'op' && '([{'.includes(x.text)) depth++;
    else if (x.kind === 'op' && ')]}'.includes(x.text)) depth--;
    else if (depth === 0 && x.kind === 'name' && x.text === 'lambda') lambdas++;
    else if (depth === 0 && x.kind === 'op' && x.text === ':') {
      if (lambdas > 0) lambdas--;
      else return i;
    }
  }
  return -1;
}

function other(l: LogicalLine): PyStmt {
  return { kind: 'other', line: l.line, col: l.indent, endLine: l.endLine };
}

function compound(t: Token[], l: LogicalLine): PyBlockStmt | undefined {
  const place = { line: l.line, col: l.indent, endLine: l.endLine, body: [] as PyStmt[] };
  const i = t[0].text === 'async' ? 1 : 0;
  const word = t[i]?.text;
  const p = new ExprParser(t, i + 1);
  try {
    switch (word) {
      case 'class': {
        const name = t[i + 1]?.text ?? '';
        p.pos = i + 2;
        const bases = p.peek('(') ? p.callArgs() : [];
        return { ...place, kind: 'class', name, bases };
      }
      case 'def': {
        const name = t[i + 1]?.text ?? '';
        p.pos = i + 2;
        return { ...place, kind: 'def', name, params: p.peek('(') ? p.params() : [] };
      }
      case 'if':
      case 'elif':
      case 'while':
        return { ...place, kind: word, test: p.atEnd() ? undefined : p.expression() };
      case 'with':
        return { ...place, kind: 'with' };
      case 'for': {
        const target = p.exprList(['in']);
        p.expectName('in');
        return { ...place, kind: 'for', target, iter: p.atEnd() ? undefined : p.exprList([]) };
      }
      case 'else':
      case 'try':
      case 'except':
      case 'finally':
        return { ...place, kind: word };
      default:
        return undefined;
    }
  } catch {
    return word === 'class' || word === 'def' ? undefined : { ...place, kind: word === 'for' ? 'for' : 'with' };
  }
}

function simpleStatements(t: Token[], l: LogicalLine): PyStmt[] {
  const out: PyStmt[] = [];
  let start = 0;
  let depth = 0;
  for (let i = 0; i <= t.length; i++) {
    const x = t[i];
    if (x?.kind === 'op' && '([{'.includes(x.text)) depth++;
    else if (x?.kind === 'op' && ')]}'.includes(x.text)) depth--;
    if (i === t.length || (depth === 0 && x.kind === 'op' && x.text === ';')) {
      if (i > start) out.push(simple(t.slice(start, i), l));
      start = i + 1;
    }
  }
  return out;
}

const AUG = new Set(['+=', '-=', '*=', '/=', '//=', '%=', '**=', '>>=', '<<=', '&=', '|=', '^=', '@=']);

function simple(t: Token[], l: LogicalLine): PyStmt {
  const place = { line: t[0].line, col: t[0].col, endLine: l.endLine };
  const first = t[0].text;
  try {
    if (t[0].kind === 'name' && first === 'return') {
      const p = new ExprParser(t, 1);
      return { ...place, kind: 'return', value: p.atEnd() ? undefined : p.exprList([]) };
    }
    if (t[0].kind === 'name' && (first === 'import' || first === 'from'))
      return { ...place, kind: 'import', names: importNames(t) };
    if (
      t[0].kind === 'name' &&
      ['pass', 'break', 'continue', 'raise', 'assert', 'del', 'global', 'nonlocal'].includes(first)
    )
      return { ...place, kind: 'other' };
    const p = new ExprParser(t, 0);
    const targets: PyExpr[] = [];
    let value = p.exprList(['=', ':']);
    // An annotation: `x: T = v` (the annotation is skipped).
    if (p.peek(':')) {
      p.pos++;
      p.expression();
      if (p.atEnd()) return { ...place, kind: 'other' };
    }
    if (!p.atEnd() && AUG.has(p.tokens[p.pos].text)) {
      const op = p.tokens[p.pos++].text;
      return { ...place, kind: 'augassign', target: value, op, value: p.exprList([]) };
    }
    while (p.peek('=')) {
      p.pos++;
      targets.push(value);
      value = p.exprList(['=']);
    }
    return targets.length ? { ...place, kind: 'assign', targets, value } : { ...place, kind: 'expr', value };
  } catch {
    return { ...place, kind: 'other' };
  }
}

/** `import a.b as c`, `from .x import Y as Z, W`: local name → module (and name). */
function importNames(t: Token[]): { module: string; name?: string; as: string }[] {
  const text = t.map((x) => x.text);
  const out: { module: string; name?: string; as: string }[] = [];
  const dotted = (from: number): [string, number] => {
    let s = '';
    let i = from;
    while (
      i < text.length &&
      (text[i] === '.' || text[i] === '...' || (t[i].kind === 'name' && (s === '' || s.endsWith('.'))))
    )
      s += text[i++];
    return [s, i];
  };
  if (text[0] === 'import') {
    let i = 1;
    while (i < text.length) {
      const [module, j] = dotted(i);
      i = j;
      let as = module.split('.')[0];
      if (text[i] === 'as') {
        as = text[i + 1];
        i += 2;
      }
      out.push({ module, as });
      if (text[i] === ',') i++;
      else break;
    }
    return out;
  }
  const [module, j] = dotted(1);
  let i = j + 1;
  while (i < text.length) {
    if (text[i] === '(' || text[i] === ')' || text[i] === ',') {
      i++;
      continue;
    }
    const name = text[i++];
    let as = name;
    if (text[i] === 'as') {
      as = text[i + 1];
      i += 2;
    }
    out.push({ module, name, as });
  }
  return out;
}

class SyntaxTrouble extends Error {}

/** Recursive descent over one statement's tokens. Operators are kept opaque: the source map follows calls, not arithmetic. */
class ExprParser {
  /** Words that end the expression list being read (`in` of a for header is no operator there). */
  private stops: string[] = [];

  constructor(
    readonly tokens: Token[],
    public pos: number,
  ) {}

  atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }

  peek(op: string): boolean {
    const t = this.tokens[this.pos];
    return !!t && t.kind === 'op' && t.text === op;
  }

  private peekName(name: string): boolean {
    const t = this.tokens[this.pos];
    return !!t && t.kind === 'name' && t.text === name;
  }

  expectName(name: string): void {
    if (!this.peekName(name)) throw new SyntaxTrouble(`expected ${name}`);
    this.pos++;
  }

  private expect(op: string): void {
    if (!this.peek(op)) throw new SyntaxTrouble(`expected ${op}`);
    this.pos++;
  }

  /** Expressions separated by commas (a tuple when there is a comma), up to a stop token at depth 0. */
  exprList(stops: string[]): PyExpr {
    this.stops = stops;
    const start = this.tokens[this.pos];
    const items: PyExpr[] = [];
    let comma = false;
    while (
      !this.atEnd() &&
      !stops.includes(this.tokens[this.pos].text) &&
      !(this.tokens[this.pos].kind === 'op' && AUG.has(this.tokens[this.pos].text))
    ) {
      items.push(this.peek('*') ? this.starred() : this.expression());
      if (this.peek(',')) {
        comma = true;
        this.pos++;
      } else break;
    }
    if (items.length === 1 && !comma) return items[0];
    return { kind: 'tuple', items, line: start?.line ?? 0, col: start?.col ?? 0 };
  }

  private starred(): PyExpr {
    const t = this.tokens[this.pos++];
    return { kind: 'starred', value: this.expression(), line: t.line, col: t.col };
  }

  /** A whole expression: a conditional, lambda or operator chain is opaque unless it is a single primary. */
  expression(): PyExpr {
    const start = this.tokens[this.pos];
    if (!start) throw new SyntaxTrouble('expression expected');
    if (start.kind === 'name' && start.text === 'lambda') {
      this.skipLambda();
      return { kind: 'opaque', text: 'lambda', line: start.line, col: start.col };
    }
    const parts: PyExpr[] = [];
    let operators = 0;
    for (;;) {
      while (this.isPrefixOperator()) {
        this.pos++;
        operators++;
      }
      parts.push(this.primary());
      if (this.isBinaryOperator()) {
        this.pos++;
        operators++;
        continue;
      }
      break;
    }
    if (operators === 0) return parts[0];
    return { kind: 'opaque', text: 'operator', parts, line: start.line, col: start.col };
  }

  private isPrefixOperator(): boolean {
    const t = this.tokens[this.pos];
    if (!t) return false;
    return (
      (t.kind === 'op' && ['-', '+', '~'].includes(t.text)) ||
      (t.kind === 'name' && (t.text === 'not' || t.text === 'await'))
    );
  }

  private isBinaryOperator(): boolean {
    const t = this.tokens[this.pos];
    if (!t || this.stops.includes(t.text)) return false;
    if (t.kind === 'op')
      return [
        '+',
        '-',
        '*',
        '/',
        '//',
        '%',
        '**',
        '@',
        '<<',
        '>>',
        '&',
        '|',
        '^',
        '<',
        '>',
        '<=',
        '>=',
        '==',
        '!=',
        ':=',
      ].includes(t.text);
    if (t.kind !== 'name') return false;
    if (['and', 'or', 'in', 'is', 'if', 'else'].includes(t.text)) return true;
    // `not in`
    return t.text === 'not' && this.tokens[this.pos + 1]?.text === 'in';
  }

  private skipLambda(): void {
    let depth = 0;
    while (!this.atEnd()) {
      const t = this.tokens[this.pos];
      if (t.kind === 'op' && '([{'.includes(t.text)) depth++;
      else if (t.kind === 'op' && ')]}'.includes(t.text)) {
        if (depth === 0) return;
        depth--;
      } else if (depth === 0 && t.kind === 'op' && t.text === ',') return;
      this.pos++;
    }
  }

  private primary(): PyExpr {
    let e = this.atom();
    for (;;) {
      if (this.peek('.')) {
        this.pos++;
        const name = this.tokens[this.pos++];
        if (!name || name.kind !== 'name') throw new SyntaxTrouble('attribute name expected');
        e = { kind: 'attr', value: e, attr: name.text, line: e.line, col: e.col };
      } else if (this.peek('(')) {
        e = { kind: 'call', func: e, args: this.callArgs(), line: e.line, col: e.col };
      } else if (this.peek('[')) {
        this.pos++;
        const index = this.peek(']')
          ? ({ kind: 'opaque', text: '', line: e.line, col: e.col } as PyExpr)
          : this.subscriptList();
        this.expect(']');
        e = { kind: 'subscript', value: e, index, line: e.line, col: e.col };
      } else return e;
    }
  }

  private subscriptList(): PyExpr {
    const start = this.tokens[this.pos];
    const items: PyExpr[] = [];
    let slice = false;
    while (!this.peek(']') && !this.atEnd()) {
      if (this.peek(':') || this.peek(',')) {
        slice ||= this.peek(':');
        this.pos++;
        continue;
      }
      items.push(this.peek('*') ? this.starred() : this.expression());
    }
    if (slice || items.length !== 1) return { kind: 'opaque', text: 'slice', line: start.line, col: start.col };
    return items[0];
  }

  callArgs(): PyArg[] {
    this.expect('(');
    const args: PyArg[] = [];
    while (!this.peek(')')) {
      if (this.atEnd()) throw new SyntaxTrouble('unclosed call');
      if (this.peek('*') || this.peek('**')) {
        const star = this.tokens[this.pos++].text as '*' | '**';
        args.push({ star, value: this.expression() });
      } else if (this.tokens[this.pos].kind === 'name' && this.tokens[this.pos + 1]?.text === '=') {
        const name = this.tokens[this.pos].text;
        this.pos += 2;
        args.push({ name, value: this.expression() });
      } else {
        const value = this.expression();
        // A generator argument: f(x for x in y).
        if (this.peekName('for')) {
          this.skipTo(')');
          args.push({ value: { kind: 'opaque', text: 'generator', line: value.line, col: value.col } });
          break;
        }
        args.push({ value });
      }
      if (this.peek(',')) this.pos++;
      else if (!this.peek(')')) throw new SyntaxTrouble('expected , or )');
    }
    this.expect(')');
    return args;
  }

  params(): PyParam[] {
    this.expect('(');
    const out: PyParam[] = [];
    while (!this.peek(')')) {
      if (this.atEnd()) throw new SyntaxTrouble('unclosed parameters');
      let star: PyParam['star'];
      if (this.peek('*') || this.peek('**')) star = this.tokens[this.pos++].text as '*' | '**';
      if (this.peek('/') || (star && (this.peek(',') || this.peek(')')))) {
        if (this.peek('/')) this.pos++;
        if (this.peek(',')) this.pos++;
        continue;
      }
      const name = this.tokens[this.pos++]?.text ?? '';
      if (this.peek(':')) {
        this.pos++;
        this.expression();
      }
      let dflt: PyExpr | undefined;
      if (this.peek('=')) {
        this.pos++;
        dflt = this.expression();
      }
      out.push({ name, ...(dflt ? { default: dflt } : {}), ...(star ? { star } : {}) });
      if (this.peek(',')) this.pos++;
    }
    this.expect(')');
    return out;
  }

  /** Skips to the closing bracket `close` of the current level (left in place). */
  private skipTo(close: string): void {
    let depth = 0;
    while (!this.atEnd()) {
      const t = this.tokens[this.pos];
      if (t.kind === 'op' && '([{'.includes(t.text)) depth++;
      else if (t.kind === 'op' && ')]}'.includes(t.text)) {
        if (depth === 0 && t.text === close) return;
        depth--;
      }
      this.pos++;
    }
  }

  private atom(): PyExpr {
    const t = this.tokens[this.pos];
    if (!t) throw new SyntaxTrouble('unexpected end');
    const place = { line: t.line, col: t.col };
    if (t.kind === 'name') {
      this.pos++;
      if (t.text === 'None' || t.text === 'True' || t.text === 'False')
        return { kind: 'const', value: t.text, ...place };
      return { kind: 'name', id: t.text, ...place };
    }
    if (t.kind === 'number') {
      this.pos++;
      return { kind: 'num', text: t.text, ...place };
    }
    if (t.kind === 'string') {
      // Adjacent literals concatenate; an f-string anywhere makes the whole an f-string.
      let value = '';
      let fstring = false;
      while (this.tokens[this.pos]?.kind === 'string') {
        const s = this.tokens[this.pos++];
        value += s.value ?? '';
        fstring ||= !!s.fstring;
      }
      return { kind: 'str', value, fstring, ...place };
    }
    if (t.text === '...') {
      this.pos++;
      return { kind: 'const', value: '...', ...place };
    }
    if (t.text === '(' || t.text === '[' || t.text === '{') return this.display(t.text);
    throw new SyntaxTrouble(`unexpected ${t.text}`);
  }

  /** (…), […], {…}: tuples, lists, dicts and sets; comprehensions are opaque. */
  private display(open: string): PyExpr {
    const start = this.tokens[this.pos++];
    const close = open === '(' ? ')' : open === '[' ? ']' : '}';
    const place = { line: start.line, col: start.col };
    const items: PyExpr[] = [];
    const entries: { key?: PyExpr; value: PyExpr }[] = [];
    let comma = false;
    let dict = false;
    while (!this.peek(close)) {
      if (this.atEnd()) throw new SyntaxTrouble('unclosed bracket');
      if (open === '{' && this.peek('**')) {
        this.pos++;
        entries.push({ value: this.expression() });
        dict = true;
      } else {
        const item = this.peek('*') ? this.starred() : this.expression();
        if (open === '{' && this.peek(':')) {
          this.pos++;
          entries.push({ key: item, value: this.expression() });
          dict = true;
        } else items.push(item);
      }
      if (this.peekName('for') || this.peekName('async')) {
        this.skipTo(close);
        this.pos++;
        return { kind: 'opaque', text: 'comprehension', ...place };
      }
      if (this.peek(',')) {
        comma = true;
        this.pos++;
      } else if (!this.peek(close)) throw new SyntaxTrouble(`expected , or ${close}`);
    }
    this.pos++;
    if (open === '(') return items.length === 1 && !comma ? items[0] : { kind: 'tuple', items, ...place };
    if (open === '[') return { kind: 'list', items, ...place };
    return dict || items.length === 0 ? { kind: 'dict', entries, ...place } : { kind: 'set', items, ...place };
  }
}

/** `a.b.c` for a name or attribute chain, else undefined. */
export function dottedName(e: PyExpr): string | undefined {
  if (e.kind === 'name') return e.id;
  if (e.kind === 'attr') {
    const base = dottedName(e.value);
    return base === undefined ? undefined : `${base}.${e.attr}`;
  }
  return undefined;
}
