/**
 * What a Python expression builds, read without running it: `nn.Conv2d(…)` a torch module, `BasicBlock(…)` an
 * instance of an indexed class (its constructor's parameters bound to the call's arguments, so `self.downsample =
 * downsample` follows the argument back to the caller), `nn.Sequential(*layers)` a sequence whose items come from
 * the statements that built `layers` (appends and extends, inside ifs and loops: a list program), helper functions
 * and methods through their returns. Whatever depends on values only known at run time stays open: a parameter
 * nobody bound is an opaque call, an `if` is a choice. The placer (place-modules.ts) closes those choices against
 * what the export shows, or leaves the module unplaced.
 */
import { type PyArg, type PyExpr, type PyStmt, dottedName, hasBody } from './python-ast';
import type { DefStmt, PyClass, PyFile, PythonIndex } from './python-index';

export interface Frame {
  file: PyFile;
  fn?: DefStmt;
  cls?: PyClass;
  bindings: Map<string, { expr: PyExpr; frame: Frame }>;
  self?: Instance;
  depth: number;
}

export interface Instance {
  kind: 'instance';
  cls: PyClass;
  /** The constructor's frame (its parameters bound to the call's arguments); undefined when nobody's call is known. */
  init?: Frame;
  line: number;
}

/** One element of a list program: an expression that will become an item, with the frame it is evaluated in. */
export interface Item {
  id: number;
  expr: PyExpr;
  frame: Frame;
  /** Dict-style items (`layers["head"] = …`, `layers[f"encoder_layer_{i}"] = …`): the key or its pattern. */
  key?: string | RegExp;
}

/** How a list (or an ordered dict) is built: items, optional blocks (an if branch), repeated blocks (a loop). */
export type Segment =
  { kind: 'item'; item: Item } | { kind: 'optional'; body: Segment[] } | { kind: 'repeat'; body: Segment[] };

export type Value =
  | Instance
  | { kind: 'class'; cls: PyClass }
  | { kind: 'torch'; name: string }
  | { kind: 'function'; fn: DefStmt; file: PyFile; self?: Instance; cls?: PyClass }
  /** A torch module built here (`nn.Conv2d(…)`): name is the class (`Conv2d`). */
  | { kind: 'library'; name: string; line: number }
  /** A container of items: nn.Sequential / ModuleList / ModuleDict, or an instance of a Sequential subclass. */
  | { kind: 'sequence'; program: Segment[]; keyed: boolean; line: number; cls?: PyClass; instance?: Instance }
  /** A call of something unknown here (`block(…)` with `block` a parameter nobody bound). */
  | { kind: 'opaque'; callee: string; call: PyExpr & { kind: 'call' }; frame: Frame; line: number }
  | { kind: 'list'; program: Segment[]; keyed: boolean }
  | { kind: 'choice'; options: Value[] }
  | { kind: 'none' }
  | { kind: 'unknown'; why: string };

const MAX_DEPTH = 24;
const SEQUENCES = new Set(['Sequential', 'ModuleList', 'ModuleDict']);

export class Evaluator {
  private nextItem = 0;
  private readonly locals = new WeakMap<DefStmt, Map<string, PyStmt[]>>();

  constructor(readonly index: PythonIndex) {}

  /** A frame at a file's top level. */
  moduleFrame(file: PyFile): Frame {
    return { file, bindings: new Map(), depth: 0 };
  }

  /** An instance of `cls` built by a call whose arguments are `args` in `caller` (or by nobody known: no bindings). */
  instantiate(cls: PyClass, line: number, args?: PyArg[], caller?: Frame): Instance {
    const inst: Instance = { kind: 'instance', cls, line };
    const found = this.findMethod(cls, '__init__');
    if (found) {
      const file = this.index.file(found.cls.file);
      if (file)
        inst.init = {
          file,
          fn: found.fn,
          cls: found.cls,
          bindings: args && caller ? this.bind(found.fn, args, caller, true) : new Map(),
          self: inst,
          depth: (caller?.depth ?? 0) + 1,
        };
    }
    return inst;
  }

  /** A method of the class or its nearest indexed base that has it. */
  findMethod(cls: PyClass, name: string, depth = 0): { fn: DefStmt; cls: PyClass } | undefined {
    const own = cls.methods.get(name);
    if (own) return { fn: own, cls };
    if (depth > 10) return undefined;
    for (const b of this.index.baseClasses(cls)) {
      if (typeof b === 'string') continue;
      const r = this.findMethod(b, name, depth + 1);
      if (r) return r;
    }
    return undefined;
  }

  /** Parameters of `fn` bound to a call's arguments (positional up to the first `*args`, then by keyword). */
  bind(fn: DefStmt, args: PyArg[], caller: Frame, method: boolean): Frame['bindings'] {
    const out: Frame['bindings'] = new Map();
    const params = fn.params.filter((p) => !p.star);
    const positional = method ? params.slice(1) : params;
    let k = 0;
    let lost = false;
    for (const a of args) {
      if (a.star) {
        lost = true;
        continue;
      }
      if (a.name !== undefined) {
        if (params.some((p) => p.name === a.name)) out.set(a.name, { expr: a.value, frame: caller });
      } else if (!lost && k < positional.length) out.set(positional[k++].name, { expr: a.value, frame: caller });
    }
    return out;
  }

  evaluate(e: PyExpr, frame: Frame): Value {
    if (frame.depth > MAX_DEPTH) return { kind: 'unknown', why: 'too deep' };
    switch (e.kind) {
      case 'const':
        return e.value === 'None' ? { kind: 'none' } : { kind: 'unknown', why: 'a constant' };
      case 'name':
        return this.name(e.id, frame, e.line);
      case 'attr': {
        if (e.value.kind === 'name' && e.value.id === 'self' && frame.self)
          return this.selfAttribute(frame.self, e.attr);
        const dotted = dottedName(e);
        if (dotted && e.value.kind === 'name' && !this.isLocal(e.value.id, frame))
          return this.global(dotted, frame.file);
        return { kind: 'unknown', why: `attribute ${dotted ?? e.attr}` };
      }
      case 'call':
        return this.call(e, frame);
      case 'list':
      case 'tuple':
        return { kind: 'list', program: e.items.map((x) => this.itemSegment(x, frame)).flat(), keyed: false };
      default:
        return { kind: 'unknown', why: `a ${e.kind} expression` };
    }
  }

  private itemSegment(x: PyExpr, frame: Frame): Segment[] {
    if (x.kind === 'starred') {
      const v = this.evaluate(x.value, frame);
      return v.kind === 'list' ? v.program : [{ kind: 'item', item: this.item(x, frame) }];
    }
    return [{ kind: 'item', item: this.item(x, frame) }];
  }

  item(expr: PyExpr, frame: Frame, key?: string | RegExp): Item {
    return { id: this.nextItem++, expr, frame, ...(key !== undefined ? { key } : {}) };
  }

  private global(dotted: string, file: PyFile): Value {
    const r = this.index.resolve(file, dotted);
    if (r.kind === 'class') return { kind: 'class', cls: r.cls };
    if (r.kind === 'function') return { kind: 'function', fn: r.fn, file: r.file };
    if (r.kind === 'torch') return { kind: 'torch', name: r.name };
    return { kind: 'unknown', why: `${dotted} is not in the indexed files` };
  }

  private isLocal(id: string, frame: Frame): boolean {
    return !!frame.fn && (frame.fn.params.some((p) => p.name === id) || this.localAssignments(frame.fn).has(id));
  }

  /** Assignments to plain names in a function body (nested functions and classes left out). */
  private localAssignments(fn: DefStmt): Map<string, PyStmt[]> {
    let m = this.locals.get(fn);
    if (m) return m;
    m = new Map();
    const add = (name: string, s: PyStmt) => m!.set(name, [...(m!.get(name) ?? []), s]);
    const walk = (stmts: PyStmt[]) => {
      for (const s of stmts) {
        if (s.kind === 'assign') for (const t of s.targets) if (t.kind === 'name') add(t.id, s);
        if (s.kind === 'for' && s.target) for (const n of namesIn(s.target)) add(n, s);
        if (s.kind !== 'def' && s.kind !== 'class' && hasBody(s)) walk(s.body);
      }
    };
    walk(fn.body);
    this.locals.set(fn, m);
    return m;
  }

  private name(id: string, frame: Frame, line: number): Value {
    if (id === 'self' && frame.self) return frame.self;
    const fn = frame.fn;
    if (fn) {
      const assigns = this.localAssignments(fn).get(id) ?? [];
      if (assigns.some((s) => s.kind === 'for')) return { kind: 'unknown', why: `${id} is a loop variable` };
      const program = this.listProgram(fn, id, frame);
      if (program) return program;
      const options: Value[] = [];
      const param = fn.params.find((p) => p.name === id);
      if (param) {
        const bound = frame.bindings.get(id);
        if (bound)
          options.push(
            this.evaluate(bound.expr, { ...bound.frame, depth: Math.max(bound.frame.depth, frame.depth) + 1 }),
          );
        else if (param.default)
          options.push(this.evaluate(param.default, { ...this.moduleFrame(frame.file), depth: frame.depth + 1 }));
        else
          options.push({
            kind: 'unknown',
            why: `parameter ${id} of ${fn.name} (line ${fn.line}) is not bound by a known call`,
          });
      }
      // Assignments before the use (and the parameter) are the candidates; `x = None … if …: x = …` keeps the non-None.
      for (const s of assigns)
        if (s.kind === 'assign' && s.line <= line)
          options.push(this.evaluate(s.value, { ...frame, depth: frame.depth + 1 }));
      if (param || assigns.length) return choose(options);
    }
    return this.global(id, frame.file);
  }

  /** `self.x` in a method: an attribute assigned in the class (a submodule), or a method. */
  private selfAttribute(inst: Instance, attr: string): Value {
    const assigned = this.attributeValues(inst, attr);
    if (assigned.length) return choose(assigned.map((a) => a.value));
    const m = this.findMethod(inst.cls, attr);
    if (m) {
      const file = this.index.file(m.cls.file);
      if (file) return { kind: 'function', fn: m.fn, file, self: inst, cls: m.cls };
    }
    return { kind: 'unknown', why: `self.${attr} is not assigned in ${inst.cls.name}` };
  }

  /**
   * Every `self.<attr> = …` of the instance's class and its bases, with the frame it is evaluated in (the
   * constructor's bindings for __init__, a base's constructor bound by the `super().__init__(…)` call).
   */
  attributeValues(inst: Instance, attr: string): { stmt: PyStmt; value: Value; file: string }[] {
    const out: { stmt: PyStmt; value: Value; file: string }[] = [];
    for (const { cls, frame } of this.classChain(inst)) {
      for (const [name, fn] of cls.methods) {
        const f =
          name === '__init__' && frame
            ? frame
            : ({
                file: this.index.file(cls.file)!,
                fn,
                cls,
                bindings: new Map(),
                self: inst,
                depth: (frame?.depth ?? 0) + 1,
              } as Frame);
        if (!f.file) continue;
        walkStatements(fn.body, (s) => {
          if (s.kind !== 'assign') return;
          for (const t of s.targets) {
            if (t.kind === 'attr' && t.attr === attr && t.value.kind === 'name' && t.value.id === 'self')
              out.push({ stmt: s, value: this.evaluate(s.value, { ...f, depth: f.depth + 1 }), file: cls.file });
          }
        });
      }
      if (out.length) return out;
    }
    return out;
  }

  /** The class and its indexed bases, each with its constructor frame as the instance's construction binds it. */
  classChain(inst: Instance): { cls: PyClass; frame?: Frame }[] {
    const out: { cls: PyClass; frame?: Frame }[] = [];
    let cls: PyClass | undefined = inst.cls;
    let frame: Frame | undefined;
    const seen = new Set<PyClass>();
    while (cls && !seen.has(cls) && out.length < 10) {
      seen.add(cls);
      // The constructor the instance's call ran (the nearest __init__ up the chain) has the call's bindings.
      if (inst.init?.cls === cls) frame = inst.init;
      out.push({ cls, frame });
      const next: PyClass | undefined = this.index.baseClasses(cls).find((b): b is PyClass => typeof b !== 'string');
      if (!next) break;
      // The base's constructor as `super().__init__(…)` in this constructor calls it.
      const own = cls.methods.get('__init__');
      const sup = own ? superInitCall(own) : undefined;
      const baseInit = next.methods.get('__init__');
      const file = this.index.file(next.file);
      frame =
        baseInit && file && own
          ? {
              file,
              fn: baseInit,
              cls: next,
              bindings: sup && frame ? this.bind(baseInit, sup.args, frame, true) : new Map(),
              self: inst,
              depth: (frame?.depth ?? 0) + 1,
            }
          : undefined;
      cls = next;
    }
    return out;
  }

  /** The items a Sequential subclass passes up: `super().__init__(*layers)` in the first constructor of its chain that does. */
  sequenceOfInstance(inst: Instance): Value {
    for (const { cls, frame } of this.classChain(inst)) {
      const init = cls.methods.get('__init__');
      if (!init) continue;
      const base = this.index.baseClasses(cls)[0];
      if (typeof base !== 'string' || !/(^|\.)Sequential$/.test(base)) continue;
      const sup = superInitCall(init);
      if (!sup) return { kind: 'sequence', program: [], keyed: false, line: inst.line, cls: inst.cls, instance: inst };
      const f: Frame = frame ?? {
        file: this.index.file(cls.file)!,
        fn: init,
        cls,
        bindings: new Map(),
        self: inst,
        depth: 1,
      };
      const seq = this.sequenceFromArgs(sup.args, f, inst.line);
      return seq.kind === 'sequence' ? { ...seq, cls: inst.cls, instance: inst } : seq;
    }
    return { kind: 'unknown', why: `${inst.cls.name} derives from Sequential but passes it no items` };
  }

  private call(e: PyExpr & { kind: 'call' }, frame: Frame): Value {
    const calleeName = dottedName(e.func);
    const callee = this.evaluate(e.func, { ...frame, depth: frame.depth + 1 });
    if (callee.kind === 'class') return this.instantiate(callee.cls, e.line, e.args, frame);
    if (callee.kind === 'torch') {
      const short = callee.name.split('.').pop()!;
      if (SEQUENCES.has(short)) return this.sequenceFromArgs(e.args, frame, e.line);
      if (short === 'OrderedDict' || short === 'dict') return { kind: 'list', program: [], keyed: true };
      return { kind: 'library', name: short, line: e.line };
    }
    if (callee.kind === 'function') {
      if ((calleeName === 'partial' || calleeName?.endsWith('.partial')) && e.args[0])
        return this.evaluate(e.args[0].value, { ...frame, depth: frame.depth + 1 });
      const file = callee.file;
      const inner: Frame = {
        file,
        fn: callee.fn,
        cls: callee.cls,
        bindings: this.bind(callee.fn, e.args, frame, !!callee.self),
        self: callee.self,
        depth: frame.depth + 1,
      };
      const returns: Value[] = [];
      walkStatements(callee.fn.body, (s) => {
        if (s.kind === 'return' && s.value) returns.push(this.evaluate(s.value, inner));
      });
      return returns.length ? choose(returns) : { kind: 'none' };
    }
    if (calleeName === 'partial' || calleeName === 'functools.partial')
      return e.args[0]
        ? this.evaluate(e.args[0].value, { ...frame, depth: frame.depth + 1 })
        : { kind: 'unknown', why: 'partial()' };
    if (calleeName === 'OrderedDict' || calleeName === 'collections.OrderedDict' || calleeName === 'dict')
      return { kind: 'list', program: [], keyed: true };
    if (callee.kind === 'none') return { kind: 'unknown', why: `${calleeName ?? 'the callee'} is None here` };
    if (callee.kind === 'choice') {
      // `norm_layer(…)` with norm_layer one of several classes: an instance of each.
      const options = callee.options.map((o) =>
        o.kind === 'class'
          ? this.instantiate(o.cls, e.line, e.args, frame)
          : o.kind === 'torch'
            ? ({ kind: 'library', name: o.name.split('.').pop()!, line: e.line } as Value)
            : ({ kind: 'opaque', callee: calleeName ?? '?', call: e, frame, line: e.line } as Value),
      );
      return choose(options);
    }
    return { kind: 'opaque', callee: calleeName ?? '?', call: e, frame, line: e.line };
  }

  /** nn.Sequential(a, b), nn.Sequential(*layers), nn.Sequential(OrderedDict(…)), nn.ModuleList([…]). */
  private sequenceFromArgs(args: PyArg[], frame: Frame, line: number): Value {
    const positional = args.filter((a) => a.name === undefined);
    if (positional.length === 1 && !positional[0].star) {
      const only = positional[0].value;
      const dict = dictItems(only, frame, this);
      if (dict) return { kind: 'sequence', program: dict, keyed: true, line };
      if (only.kind === 'list' || only.kind === 'tuple')
        return { kind: 'sequence', program: only.items.flatMap((x) => this.itemSegment(x, frame)), keyed: false, line };
      if (only.kind === 'name') {
        const v = this.evaluate(only, { ...frame, depth: frame.depth + 1 });
        if (v.kind === 'list') return { kind: 'sequence', program: v.program, keyed: v.keyed, line };
      }
    }
    const program: Segment[] = [];
    for (const a of positional) {
      if (a.star === '*') {
        const v = this.evaluate(a.value, { ...frame, depth: frame.depth + 1 });
        if (v.kind !== 'list')
          return {
            kind: 'unknown',
            why: `the items of the Sequential at line ${line} come from ${dottedName(a.value) ?? 'an expression'} (${v.kind === 'unknown' ? v.why : v.kind})`,
          };
        program.push(...v.program);
      } else program.push({ kind: 'item', item: this.item(a.value, frame) });
    }
    return { kind: 'sequence', program, keyed: false, line };
  }

  /** The list program of a local accumulator: `layers = [] … layers.append(x) … nn.Sequential(*layers)`. */
  private listProgram(fn: DefStmt, acc: string, frame: Frame): Value | undefined {
    let keyed = false;
    let seen = false;
    let broken: string | undefined;
    // `seq = nn.Sequential()` then `seq.add_module(…)`: a module, not a plain list.
    let container: number | undefined;
    const build = (stmts: PyStmt[]): Segment[] => {
      const out: Segment[] = [];
      for (const s of stmts) {
        if (s.kind === 'assign' && s.targets.some((t) => t.kind === 'name' && t.id === acc)) {
          const v = s.value;
          const init = accumulatorStart(v);
          if (init === undefined) {
            if (seen) broken = `line ${s.line} gives ${acc} a value PXP cannot list`;
            continue;
          }
          seen = true;
          container =
            v.kind === 'call' && /(^|\.)(ModuleList|Sequential)$/.test(dottedName(v.func) ?? '') ? s.line : undefined;
          if (v.kind === 'dict' || (v.kind === 'call' && /OrderedDict|dict/.test(dottedName(v.func) ?? '')))
            keyed = true;
          out.length = 0;
          out.push(...init.flatMap((x) => this.itemSegment(x, frame)));
        } else if (
          s.kind === 'assign' &&
          s.targets.some((t) => t.kind === 'subscript' && t.value.kind === 'name' && t.value.id === acc)
        ) {
          const t = s.targets.find((x) => x.kind === 'subscript') as PyExpr & { kind: 'subscript' };
          const key =
            t.index.kind === 'str' ? (t.index.fstring ? fstringPattern(t.index.value) : t.index.value) : undefined;
          if (key === undefined) broken = `line ${s.line} stores an item under a computed key`;
          out.push({ kind: 'item', item: this.item(s.value, frame, key) });
          keyed = true;
        } else if (s.kind === 'augassign' && s.target.kind === 'name' && s.target.id === acc) {
          if (s.value.kind === 'list' || s.value.kind === 'tuple')
            out.push(...s.value.items.flatMap((x) => this.itemSegment(x, frame)));
          else broken = `line ${s.line} adds items PXP cannot list`;
        } else if (
          s.kind === 'expr' &&
          s.value.kind === 'call' &&
          s.value.func.kind === 'attr' &&
          s.value.func.value.kind === 'name' &&
          s.value.func.value.id === acc
        ) {
          const method = s.value.func.attr;
          const args = s.value.args;
          if (method === 'append' && args[0]) out.push({ kind: 'item', item: this.item(args[0].value, frame) });
          else if (method === 'extend' && args[0] && (args[0].value.kind === 'list' || args[0].value.kind === 'tuple'))
            out.push(...args[0].value.items.flatMap((x) => this.itemSegment(x, frame)));
          else if (method === 'add_module' && args[0]?.value.kind === 'str' && args[1]) {
            out.push({
              kind: 'item',
              item: this.item(
                args[1].value,
                frame,
                args[0].value.fstring ? fstringPattern(args[0].value.value) : args[0].value.value,
              ),
            });
            keyed = true;
          } else if (['append', 'extend', 'insert', 'add_module', 'pop', 'remove', 'update'].includes(method))
            broken = `line ${s.line} changes ${acc} in a way PXP cannot follow (${method})`;
        } else if (s.kind === 'if' || s.kind === 'elif' || s.kind === 'else' || s.kind === 'except') {
          const body = build(s.body);
          if (body.length) out.push({ kind: 'optional', body });
        } else if (s.kind === 'for' || s.kind === 'while') {
          const body = build(s.body);
          if (body.length) out.push({ kind: 'repeat', body });
        } else if (s.kind === 'with' || s.kind === 'try' || s.kind === 'finally') out.push(...build(s.body));
      }
      return out;
    };
    const program = build(fn.body);
    if (!seen) return undefined;
    if (broken) return { kind: 'unknown', why: broken };
    if (container !== undefined) return { kind: 'sequence', program, keyed, line: container };
    return { kind: 'list', program, keyed };
  }
}

/** The items an accumulator starts with (a list or tuple; an empty dict, OrderedDict, ModuleList or Sequential), or undefined. */
function accumulatorStart(v: PyExpr): PyExpr[] | undefined {
  return v.kind === 'list' || v.kind === 'tuple'
    ? v.items
    : v.kind === 'dict' && v.entries.length === 0
      ? []
      : v.kind === 'call' &&
          /^(collections\.)?OrderedDict$|^dict$|^(nn\.|torch\.nn\.)?(ModuleList|Sequential)$/.test(
            dottedName(v.func) ?? '',
          ) &&
          v.args.length === 0
        ? []
        : undefined;
}

/** `OrderedDict([("a", m), …])` or `{"a": m}` as keyed items. */
function dictItems(e: PyExpr, frame: Frame, ev: Evaluator): Segment[] | undefined {
  if (e.kind === 'dict')
    return e.entries.flatMap((x) =>
      x.key?.kind === 'str' ? [{ kind: 'item' as const, item: ev.item(x.value, frame, x.key.value) }] : [],
    );
  if (
    e.kind === 'call' &&
    /(^|\.)OrderedDict$/.test(dottedName(e.func) ?? '') &&
    e.args[0] &&
    (e.args[0].value.kind === 'list' || e.args[0].value.kind === 'tuple')
  ) {
    return e.args[0].value.items.flatMap((p) =>
      p.kind === 'tuple' && p.items[0]?.kind === 'str' && p.items[1]
        ? [{ kind: 'item' as const, item: ev.item(p.items[1], frame, p.items[0].value) }]
        : [],
    );
  }
  return undefined;
}

/** `encoder_layer_{i}` → /^encoder_layer_(.+)$/ */
export function fstringPattern(text: string): RegExp {
  const parts = text.split(/\{[^{}]*\}/);
  return new RegExp(`^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('(.+)')}$`);
}

/** The `super().__init__(…)` (or `Base.__init__(self, …)`) call of a constructor, if it has one. */
export function superInitCall(init: DefStmt): (PyExpr & { kind: 'call' }) | undefined {
  let found: (PyExpr & { kind: 'call' }) | undefined;
  walkStatements(init.body, (s) => {
    if (found || s.kind !== 'expr' || s.value.kind !== 'call') return;
    const f = s.value.func;
    if (f.kind === 'attr' && f.attr === '__init__' && f.value.kind === 'call' && dottedName(f.value.func) === 'super')
      found = s.value;
    else if (
      f.kind === 'attr' &&
      f.attr === '__init__' &&
      s.value.args[0]?.value.kind === 'name' &&
      (s.value.args[0].value as { id: string }).id === 'self'
    )
      found = { ...s.value, args: s.value.args.slice(1) };
  });
  return found;
}

/** Visits statements and nested blocks (not nested functions or classes). */
export function walkStatements(stmts: PyStmt[], visit: (s: PyStmt) => void): void {
  for (const s of stmts) {
    visit(s);
    if (s.kind !== 'def' && s.kind !== 'class' && hasBody(s)) walkStatements(s.body, visit);
  }
}

function namesIn(e: PyExpr): string[] {
  if (e.kind === 'name') return [e.id];
  if (e.kind === 'tuple' || e.kind === 'list') return e.items.flatMap(namesIn);
  return [];
}

/** A value identity for de-duplicating choices: the same class, torch module or place. */
export function valueKey(v: Value): string {
  switch (v.kind) {
    case 'instance':
      return `i:${v.cls.file}:${v.cls.name}:${v.line}`;
    case 'class':
      return `c:${v.cls.file}:${v.cls.name}`;
    case 'torch':
      return `t:${v.name}`;
    case 'library':
      return `l:${v.name}:${v.line}`;
    case 'sequence':
      return `s:${v.line}:${v.cls?.name ?? ''}`;
    case 'opaque':
      return `o:${v.callee}:${v.line}`;
    case 'function':
      return `f:${v.file.file}:${v.fn.line}`;
    default:
      return v.kind;
  }
}

/** One value from several candidates: Nones dropped, duplicates merged; several left make a choice. */
export function choose(options: Value[]): Value {
  const flat = options.flatMap((o) => (o.kind === 'choice' ? o.options : [o])).filter((o) => o.kind !== 'none');
  const known = flat.filter((o) => o.kind !== 'unknown');
  const unique = [...new Map(known.map((o) => [valueKey(o), o])).values()];
  if (unique.length === 1) return unique[0];
  if (unique.length > 1) return { kind: 'choice', options: unique };
  if (flat.length) return flat[0];
  return options.length ? { kind: 'none' } : { kind: 'unknown', why: 'no value' };
}
