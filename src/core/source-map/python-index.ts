/**
 * The Python files a source map may point into: the workspace and the source roots (pxp.sourceRoots, e.g. a
 * site-packages folder), parsed on demand. Knows each file's classes, functions and imports, resolves a name as
 * the file's imports do (relative and absolute, `import torch.nn as nn`), and finds the local copy of a file named
 * in an export's stack (exported on another machine or in another virtualenv: matched by the longest path suffix).
 */
import fs from 'node:fs';
import path from 'node:path';
import { type PyStmt, dottedName, parsePython } from './python-ast';

type ClassStmt = Extract<PyStmt, { kind: 'class' }>;
export type DefStmt = Extract<PyStmt, { kind: 'def' }>;

export interface PyClass {
  name: string;
  file: string;
  stmt: ClassStmt;
  /** Base classes as written (`nn.Module`, `MLP`). */
  bases: string[];
  methods: Map<string, DefStmt>;
}

export interface PyFile {
  file: string;
  body: PyStmt[];
  classes: Map<string, PyClass>;
  functions: Map<string, DefStmt>;
  /** Local name → where it comes from: `nn` → {module: 'torch.nn'}, `MLP` → {module: '..ops.misc', name: 'MLP'}. */
  imports: Map<string, { module: string; name?: string }>;
}

/** What a name refers to: a class or function of an indexed file, torch's own code, or nothing known. */
export type NameRef =
  | { kind: 'class'; cls: PyClass }
  | { kind: 'function'; fn: DefStmt; file: PyFile }
  | { kind: 'torch'; name: string }
  | { kind: 'unknown'; name: string };

const SKIP_DIRS = new Set([
  'node_modules',
  '.git',
  '.pxp',
  '__pycache__',
  '.venv',
  'venv',
  '.tox',
  '.mypy_cache',
  'build',
  'dist',
]);
/** A workspace scan stops here: a source root is meant to be a package folder, not a whole disk. */
export const MAX_SCANNED_FILES = 20_000;
const MAX_FILE_BYTES = 2_000_000;

export class PythonIndex {
  private readonly files = new Map<string, PyFile | null>();
  private scanned: string[] | undefined;
  /** Why the scan stopped early, if it did. */
  scanNote: string | undefined;

  constructor(readonly roots: string[]) {}

  /** Every .py file under the roots (hidden folders, virtualenvs and build outputs left out). */
  allFiles(): string[] {
    if (this.scanned) return this.scanned;
    const out: string[] = [];
    const walk = (dir: string) => {
      if (out.length >= MAX_SCANNED_FILES) return;
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (out.length >= MAX_SCANNED_FILES) {
          this.scanNote = `stopped after ${MAX_SCANNED_FILES} .py files: point pxp.sourceRoots at the package folders themselves`;
          return;
        }
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
          if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) walk(p);
        } else if (e.isFile() && e.name.endsWith('.py')) out.push(p);
      }
    };
    for (const r of this.roots) walk(r);
    this.scanned = [...new Set(out)];
    return this.scanned;
  }

  /** A parsed file (undefined when unreadable or too large). */
  file(file: string): PyFile | undefined {
    const key = path.resolve(file);
    if (!this.files.has(key)) this.files.set(key, readPyFile(key));
    return this.files.get(key) ?? undefined;
  }

  /** Every class of every file under the roots. */
  allClasses(): PyClass[] {
    return this.allFiles().flatMap((f) => [...(this.file(f)?.classes.values() ?? [])]);
  }

  /** The class whose body holds this line. */
  classAt(file: string, line: number): PyClass | undefined {
    const f = this.file(file);
    if (!f) return undefined;
    return [...f.classes.values()].find((c) => c.stmt.line <= line && line <= c.stmt.endLine);
  }

  /**
   * The local file for a path in an export's stack: the path itself when it exists, else the indexed file that
   * shares the longest tail of path components with it (at least the file name), if exactly one does.
   */
  localFile(stackPath: string): string | undefined {
    const p = stackPath.replace(/\\/g, '/');
    if (fs.existsSync(p)) return path.resolve(p);
    const parts = p.split('/').filter(Boolean);
    let best: string[] = [];
    let bestLen = 0;
    for (const f of this.allFiles()) {
      const q = f.replace(/\\/g, '/').split('/');
      let k = 0;
      while (k < parts.length && k < q.length && parts[parts.length - 1 - k] === q[q.length - 1 - k]) k++;
      if (k === 0) continue;
      if (k > bestLen) {
        bestLen = k;
        best = [f];
      } else if (k === bestLen) best.push(f);
    }
    return best.length === 1 ? best[0] : undefined;
  }

  /** The file of a module named in an import, relative (`..ops.misc`) or absolute (`torchvision.ops.misc`). */
  moduleFile(from: string, module: string): string | undefined {
    const rel = /^(\.+)(.*)$/.exec(module);
    const candidates: string[] = [];
    const asPath = (base: string, dotted: string) => {
      const p = path.join(base, ...dotted.split('.').filter(Boolean));
      candidates.push(`${p}.py`, path.join(p, '__init__.py'));
    };
    if (rel) {
      let base = path.dirname(from);
      for (let i = 1; i < rel[1].length; i++) base = path.dirname(base);
      asPath(base, rel[2]);
    } else {
      const first = module.split('.')[0];
      for (const r of this.roots) {
        asPath(r, module);
        // A root that is the package itself (…/torchvision for `torchvision.ops.misc`).
        if (path.basename(r) === first) asPath(r, module.split('.').slice(1).join('.'));
      }
      asPath(path.dirname(from), module);
    }
    return candidates.find((c) => fs.existsSync(c));
  }

  /** What `dotted` means in `file`: follows imports, `from x import *` and package re-exports one step at a time. */
  resolve(file: PyFile, dotted: string, depth = 0): NameRef {
    const [head, ...rest] = dotted.split('.');
    if (depth > 8) return { kind: 'unknown', name: dotted };
    if (rest.length === 0) {
      const cls = file.classes.get(head);
      if (cls) return { kind: 'class', cls };
      const fn = file.functions.get(head);
      if (fn) return { kind: 'function', fn, file };
    }
    const imp = file.imports.get(head);
    if (imp) {
      const full = imp.name ? `${imp.module}${imp.module.endsWith('.') ? '' : '.'}${imp.name}` : imp.module;
      if (/^torch(\.|$)/.test(full.replace(/^\.+/, '')) && !imp.module.startsWith('.'))
        return { kind: 'torch', name: [full, ...rest].join('.') };
      if (imp.name) {
        const target = this.moduleFile(file.file, imp.module);
        const tf = target ? this.file(target) : undefined;
        if (tf) return this.resolve(tf, [imp.name, ...rest].join('.'), depth + 1);
        // `from pkg import submodule`: the name is a module.
        const sub = this.moduleFile(file.file, `${imp.module}${imp.module.endsWith('.') ? '' : '.'}${imp.name}`);
        const sf = sub ? this.file(sub) : undefined;
        if (sf && rest.length) return this.resolve(sf, rest.join('.'), depth + 1);
        return { kind: 'unknown', name: dotted };
      }
      // `import a.b as c` then `c.X`
      const target = this.moduleFile(file.file, imp.module);
      const tf = target ? this.file(target) : undefined;
      if (tf && rest.length) return this.resolve(tf, rest.join('.'), depth + 1);
      return { kind: 'unknown', name: dotted };
    }
    if (rest.length === 0) {
      // `from .x import *`
      for (const [local, s] of file.imports) {
        if (!local.startsWith('*')) continue;
        const target = this.moduleFile(file.file, s.module);
        const tf = target ? this.file(target) : undefined;
        if (tf) {
          const r = this.resolve(tf, head, depth + 1);
          if (r.kind !== 'unknown') return r;
        }
      }
    }
    return { kind: 'unknown', name: dotted };
  }

  /** The class a base name refers to, from the class's own file. */
  baseClasses(cls: PyClass): (PyClass | string)[] {
    const file = this.file(cls.file);
    return cls.bases.map((b) => {
      if (!file) return b;
      const r = this.resolve(file, b);
      return r.kind === 'class' ? r.cls : r.kind === 'torch' ? r.name : b;
    });
  }

  /** Whether `cls` is `ancestor` or derives from it (through indexed classes). */
  isSubclass(cls: PyClass, ancestor: PyClass, depth = 0): boolean {
    if (cls === ancestor || (cls.file === ancestor.file && cls.name === ancestor.name)) return true;
    if (depth > 10) return false;
    return this.baseClasses(cls).some((b) => typeof b !== 'string' && this.isSubclass(b, ancestor, depth + 1));
  }

  /** Whether the class derives from torch's nn.Sequential (so its children are the items it passes to Sequential). */
  isSequential(cls: PyClass, depth = 0): boolean {
    if (depth > 10) return false;
    return this.baseClasses(cls).some((b) =>
      typeof b === 'string' ? /(^|\.)Sequential$/.test(b) : this.isSequential(b, depth + 1),
    );
  }
}

function readPyFile(file: string): PyFile | null {
  let text: string;
  try {
    if (fs.statSync(file).size > MAX_FILE_BYTES) return null;
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const body = parsePython(text);
  const classes = new Map<string, PyClass>();
  const functions = new Map<string, DefStmt>();
  const imports = new Map<string, { module: string; name?: string }>();
  let star = 0;
  const top = (stmts: PyStmt[]) => {
    for (const s of stmts) {
      if (s.kind === 'class') {
        const methods = new Map<string, DefStmt>();
        for (const m of s.body) if (m.kind === 'def') methods.set(m.name, m);
        classes.set(s.name, {
          name: s.name,
          file,
          stmt: s,
          bases: s.bases.flatMap((b) => (b.name || b.star ? [] : [dottedName(b.value) ?? ''])).filter(Boolean),
          methods,
        });
      } else if (s.kind === 'def') functions.set(s.name, s);
      else if (s.kind === 'import')
        for (const n of s.names)
          imports.set(n.name === '*' ? `*${star++}` : n.as, { module: n.module, ...(n.name ? { name: n.name } : {}) });
      // Definitions guarded by `if`/`try` at module level (version switches) count too.
      else if (s.kind === 'if' || s.kind === 'else' || s.kind === 'elif' || s.kind === 'try' || s.kind === 'except')
        top(s.body);
    }
  };
  top(body);
  return { file, body, classes, functions, imports };
}
