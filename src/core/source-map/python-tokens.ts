/**
 * Python source as logical lines of tokens (the language reference's lexical rules, the parts a model file uses):
 * names, numbers, strings with any prefix (f-strings keep their text for name patterns), operators, brackets that
 * join physical lines, backslash continuations and comments. Lines and columns are 1-based and 0-based as editors
 * count them, so a token's place is where a user sees it.
 */

export type TokenKind = 'name' | 'number' | 'string' | 'op';

export interface Token {
  kind: TokenKind;
  text: string;
  line: number;
  col: number;
  /** For strings: the value between the quotes (escapes left as written) and whether it is an f-string. */
  value?: string;
  fstring?: boolean;
}

export interface LogicalLine {
  /** Column of the first token: the statement's indentation. */
  indent: number;
  line: number;
  endLine: number;
  tokens: Token[];
}

const OPERATORS = [
  '**=',
  '//=',
  '>>=',
  '<<=',
  '...',
  '->',
  ':=',
  '**',
  '//',
  '<<',
  '>>',
  '<=',
  '>=',
  '==',
  '!=',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '@=',
];
const STRING_PREFIX = /^(?:[rRbBuUfF]|[rR][bBfF]|[bBfF][rR])?(?:'''|"""|'|")/;

/**
 * The string literal at `i` that `head` (prefix and quote) opens: its quote, its contents, where it ends (past the
 * closing quote, or where a one-line string breaks off at a newline) and the newlines inside it.
 */
function scanString(
  source: string,
  i: number,
  head: string,
): { quote: string; value: string; end: number; newlines: number } {
  const n = source.length;
  const quote = head.endsWith("'''") || head.endsWith('"""') ? head.slice(-3) : head.slice(-1);
  let newlines = 0;
  let j = i + head.length;
  while (j < n && !source.startsWith(quote, j)) {
    if (source[j] === '\n') {
      if (quote.length === 1) break;
      newlines++;
    } else if (source[j] === '\\') {
      // An escaped character (a quote, or a newline) never ends the string, raw or not.
      if (source[j + 1] === '\n') newlines++;
      j++;
    }
    j++;
  }
  return { quote, value: source.slice(i + head.length, Math.min(j, n)), end: Math.min(j + quote.length, n), newlines };
}

/** The string token at `i` (opened by `head`), where it ends, and the line and column after it. */
function stringToken(
  source: string,
  i: number,
  head: string,
  line: number,
  col: number,
): { token: Token; end: number; line: number; col: number } {
  const { quote, value, end, newlines } = scanString(source, i, head);
  const text = source.slice(i, end);
  const lastNl = text.lastIndexOf('\n');
  return {
    token: { kind: 'string', text, line, col, value, fstring: /[fF]/.test(head.slice(0, head.length - quote.length)) },
    end,
    line: line + newlines,
    col: lastNl >= 0 ? text.length - lastNl - 1 : col + text.length,
  };
}

/** The number literal at `i` (hex, octal or binary; decimal with fraction, exponent, j), or its first character. */
function numberText(source: string, i: number): string {
  const m = /^(?:0[xXoObB][\da-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?[jJ]?|\d[\d_]*\.?)/.exec(
    source.slice(i, i + 64),
  );
  return m && m[0] ? m[0] : source[i];
}

export function tokenize(source: string): LogicalLine[] {
  const lines: LogicalLine[] = [];
  let tokens: Token[] = [];
  let depth = 0;
  let line = 1;
  let col = 0;
  let i = 0;
  let startLine = 1;
  let indent = 0;
  const n = source.length;
  const finish = () => {
    if (tokens.length) lines.push({ indent, line: startLine, endLine: tokens[tokens.length - 1].line, tokens });
    tokens = [];
  };
  const push = (t: Token) => {
    if (tokens.length === 0) {
      startLine = t.line;
      indent = t.col;
    }
    tokens.push(t);
  };
  while (i < n) {
    const c = source[i];
    if (c === '\n') {
      if (depth === 0) finish();
      i++;
      line++;
      col = 0;
      continue;
    }
    if (c === '\\' && source[i + 1] === '\n') {
      i += 2;
      line++;
      col = 0;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      // A tab advances to the next multiple of 8, as the tokenizer counts indentation.
      col = c === '\t' ? (Math.floor(col / 8) + 1) * 8 : col + 1;
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    const prefix = STRING_PREFIX.exec(source.slice(i, i + 5));
    if (prefix) {
      const s = stringToken(source, i, prefix[0], line, col);
      push(s.token);
      ({ line, col } = s);
      i = s.end;
      continue;
    }
    if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w\u0080-\uffff]/.test(source[j])) j++;
      push({ kind: 'name', text: source.slice(i, j), line, col });
      col += j - i;
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const text = numberText(source, i);
      push({ kind: 'number', text, line, col });
      col += text.length;
      i += text.length;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i)) ?? c;
    if ('([{'.includes(op)) depth++;
    else if (')]}'.includes(op)) depth = Math.max(0, depth - 1);
    push({ kind: 'op', text: op, line, col });
    col += op.length;
    i += op.length;
  }
  finish();
  return lines;
}
