/**
 * Places every module an export shows in the Python source: walks the module tree from the model down, and for
 * each child finds the statement that built it in its parent — `self.conv1 = …` in the parent's class, or the item
 * of a Sequential (an argument, or an append in the list program that built it). Where the code leaves a choice
 * (an `if`, a loop's count, a parameter nobody bound), the choices are closed against the export: which children
 * exist, which ops each ran, and with `verbose=True` the class of each module's forward and the line that called
 * it. A choice that stays open leaves the module unplaced with the reason; nothing is guessed.
 */
import type { PyExpr, PyStmt } from './python-ast';
import type { PyClass, PythonIndex } from './python-index';
import { type Instance, type Item, type Segment, type Value, Evaluator, walkStatements } from './module-values';
import type { ObservedModel, ObservedModule } from './observed-modules';
import { type StackFrame, isTorchInternal } from './stack-frames';

export type PlacedHow = 'export-stack' | 'workspace-search';

export interface Placement {
  file: string;
  /** 1-based line of the statement or item that builds the module. */
  definitionLine: number;
  /** 1-based line that calls the module (in its parent's forward), when known. */
  call?: { file: string; line: number };
  how: PlacedHow;
  /** The module's class: an indexed class's name, or torch's (`Conv2d`). */
  className?: string;
}

export interface Unplaced {
  reason: string;
  call?: { file: string; line: number };
}

/** ONNX ops each torch module can leave in an export (batch norms fold into convs, dropout vanishes). */
const TORCH_OPS: Record<string, string[]> = {
  Conv1d: ['Conv'],
  Conv2d: ['Conv'],
  Conv3d: ['Conv'],
  ConvTranspose2d: ['ConvTranspose'],
  Linear: ['Gemm', 'MatMul', 'Add'],
  ReLU: ['Relu'],
  ReLU6: ['Clip'],
  GELU: ['Erf', 'Div', 'Add', 'Mul', 'Gelu', 'Tanh', 'Pow'],
  Sigmoid: ['Sigmoid'],
  Tanh: ['Tanh'],
  SiLU: ['Sigmoid', 'Mul'],
  LeakyReLU: ['LeakyRelu'],
  ELU: ['Elu'],
  Hardswish: ['HardSwish', 'HardSigmoid', 'Mul', 'Add', 'Clip', 'Div'],
  MaxPool2d: ['MaxPool'],
  AvgPool2d: ['AveragePool', 'Pad'],
  AdaptiveAvgPool2d: ['GlobalAveragePool', 'AveragePool', 'ReduceMean'],
  Flatten: ['Flatten', 'Reshape'],
  LayerNorm: ['LayerNormalization', 'ReduceMean', 'Sub', 'Pow', 'Add', 'Sqrt', 'Div', 'Mul'],
  BatchNorm2d: ['BatchNormalization'],
  BatchNorm1d: ['BatchNormalization'],
  Dropout: ['Dropout', 'Identity'],
  Identity: ['Identity'],
  Softmax: ['Softmax'],
};
/** Torch modules whose ops always survive export: a built one the export does not show was not built. */
const ALWAYS_VISIBLE = new Set([
  'Conv1d',
  'Conv2d',
  'Conv3d',
  'ConvTranspose2d',
  'Linear',
  'ReLU',
  'ReLU6',
  'GELU',
  'Sigmoid',
  'Tanh',
  'SiLU',
  'LeakyReLU',
  'ELU',
  'MaxPool2d',
  'AvgPool2d',
  'AdaptiveAvgPool2d',
  'LayerNorm',
  'MultiheadAttention',
]);
const MAX_REALIZATIONS = 4096;
const isSequenceName = (name: string) => ['Sequential', 'ModuleList', 'ModuleDict'].includes(name);

class TooMany extends Error {}

export class ModulePlacer {
  private readonly ev: Evaluator;
  private readonly itemValues = new Map<number, Value>();
  private readonly attrNames = new Map<PyClass, Set<string>>();
  readonly placed = new Map<string, Placement>();
  readonly unplaced = new Map<string, Unplaced>();

  constructor(
    private readonly index: PythonIndex,
    private readonly observed: ObservedModel,
  ) {
    this.ev = new Evaluator(index);
  }

  run(): void {
    const root = this.observed.root;
    const stackClass = this.stackClass(root);
    let rootClass = stackClass;
    let why = '';
    if (!rootClass) {
      const names = [...root.children.keys()].filter((n) => !/^\d+$/.test(n));
      const candidates = this.classesWithAttributes(names, root);
      if (candidates.length === 1) rootClass = candidates[0];
      else
        why =
          candidates.length === 0
            ? `no class in the indexed Python files (${this.index.roots.join(', ') || 'none'}) assigns all of ${names.map((n) => `self.${n}`).join(', ')}`
            : `${candidates.length} classes match the model's top-level modules (${candidates
                .slice(0, 4)
                .map((c) => `${c.name} in ${c.file}`)
                .join('; ')})`;
      if (root.forward && !isTorchInternal(root.forward.file) && !this.index.localFile(root.forward.file))
        why = `the export's stack names ${root.forward.file}, which is not on this machine (add its folder to pxp.sourceRoots); ${why}`;
    }
    if (!rootClass) {
      for (const m of this.observed.modules.values())
        this.unplaced.set(m.path, { reason: `the model's class was not found: ${why}` });
      return;
    }
    this.visit(root, this.ev.instantiate(rootClass, rootClass.stmt.line), !!stackClass);
  }

  /** The class whose forward the export's stack shows for this module, when that file is here. */
  private stackClass(m: ObservedModule): PyClass | undefined {
    const f = m.forward;
    if (!f || isTorchInternal(f.file)) return undefined;
    const local = this.index.localFile(f.file);
    return local ? this.index.classAt(local, f.line) : undefined;
  }

  private localCall(m: ObservedModule): { file: string; line: number } | undefined {
    const c: StackFrame | undefined = m.call;
    if (!c || isTorchInternal(c.file)) return undefined;
    const file = this.index.localFile(c.file);
    return file ? { file, line: c.line } : undefined;
  }

  private visit(parent: ObservedModule, value: Value, parentFromStack: boolean): void {
    const children = this.resolveChildren(parent, value);
    for (const child of parent.children.values()) {
      const r = children.get(child.name) ?? { reason: `not found under ${parent.path || 'the model'}` };
      const stackCall = this.localCall(child);
      const stackCls = this.stackClass(child);
      let childValue: Value = 'value' in r ? r.value : { kind: 'unknown', why: r.reason };
      childValue = this.refine(childValue, child, stackCls);
      if ('line' in r) {
        const call = stackCall ?? (value.kind === 'instance' ? this.callOf(value, child.name) : undefined);
        this.placed.set(child.path, {
          file: r.file,
          definitionLine: r.line,
          ...(call ? { call } : {}),
          how: parentFromStack || stackCall || stackCls ? 'export-stack' : 'workspace-search',
          ...(className(childValue) ? { className: className(childValue) } : {}),
        });
      } else this.unplaced.set(child.path, { reason: r.reason, ...(stackCall ? { call: stackCall } : {}) });
      if (child.children.size) this.visit(child, childValue, !!stackCls);
    }
  }

  /** A child's value made precise by what the stack says its class is. */
  private refine(v: Value, m: ObservedModule, stackCls: PyClass | undefined): Value {
    if (!stackCls) return v;
    if (v.kind === 'instance' && this.index.isSubclass(v.cls, stackCls)) return v;
    if (v.kind === 'opaque') return this.ev.instantiate(stackCls, v.line, v.call.args, v.frame);
    if (v.kind === 'choice') {
      const fits = v.options.filter(
        (o) => o.kind === 'opaque' || (o.kind === 'instance' && this.index.isSubclass(o.cls, stackCls)),
      );
      if (fits.length === 1) return this.refine(fits[0], m, stackCls);
    }
    return this.ev.instantiate(stackCls, stackCls.stmt.line);
  }

  private resolveChildren(
    parent: ObservedModule,
    value: Value,
  ): Map<string, { file: string; line: number; value: Value } | { reason: string }> {
    const out = new Map<string, { file: string; line: number; value: Value } | { reason: string }>();
    const all = (reason: string) => {
      for (const c of parent.children.keys()) out.set(c, { reason });
      return out;
    };
    if (value.kind === 'choice') {
      const fits = value.options.filter((o) => this.compatible(o, parent));
      if (fits.length !== 1)
        return all(
          `${parent.path || 'the model'} is built in one of ${value.options.length} ways and the export does not tell which`,
        );
      return this.resolveChildren(parent, fits[0]);
    }
    if (value.kind === 'instance') {
      if (this.index.isSequential(value.cls)) return this.resolveChildren(parent, this.ev.sequenceOfInstance(value));
      for (const c of parent.children.values()) out.set(c.name, this.attribute(value, c));
      return out;
    }
    if (value.kind === 'sequence') return this.resolveSequence(parent, value.program, value.keyed);
    if (value.kind === 'library' && !isSequenceName(value.name)) return all(`inside torch's ${value.name}`);
    if (value.kind === 'opaque' || value.kind === 'unknown') {
      const names = [...parent.children.keys()];
      if (names.length && names.every((n) => !/^\d+$/.test(n))) {
        const candidates = this.classesWithAttributes(names, parent);
        if (candidates.length === 1) {
          const inst =
            value.kind === 'opaque'
              ? this.ev.instantiate(candidates[0], value.line, value.call.args, value.frame)
              : this.ev.instantiate(candidates[0], candidates[0].stmt.line);
          return this.resolveChildren(parent, inst);
        }
        if (candidates.length > 1)
          return all(
            `${parent.path} is built by ${value.kind === 'opaque' ? `${value.callee}(…) at line ${value.line}` : 'code PXP cannot follow'}, and ${candidates.length} classes have its modules (${candidates
              .slice(0, 3)
              .map((c) => c.name)
              .join(', ')})`,
          );
      }
      return all(
        value.kind === 'opaque'
          ? `${parent.path} is built by ${value.callee}(…) (line ${value.line}), whose class is not known here`
          : `${parent.path || 'the model'}: ${value.why}`,
      );
    }
    return all(`${parent.path || 'the model'} is not built by code PXP can follow (${value.kind})`);
  }

  /** `self.<name> = …` for one child of an instance; several assignments are narrowed by the export. */
  private attribute(
    inst: Instance,
    child: ObservedModule,
  ): { file: string; line: number; value: Value } | { reason: string } {
    let found = this.ev.attributeValues(inst, child.name).filter((a) => a.value.kind !== 'none');
    // The export names a module's second call `relu_1`: the same `self.relu`, called again.
    const again = /^(.+)_\d+$/.exec(child.name);
    if (found.length === 0 && again)
      found = this.ev.attributeValues(inst, again[1]).filter((a) => a.value.kind !== 'none');
    if (found.length === 0) return { reason: `${inst.cls.name} (${inst.cls.file}) assigns no self.${child.name}` };
    const fits = found.length === 1 ? found : found.filter((a) => this.compatible(a.value, child));
    const lines = new Set(fits.map((a) => `${a.file}:${a.stmt.line}`));
    if (lines.size !== 1)
      return {
        reason: `${inst.cls.name} assigns self.${child.name} at lines ${found.map((a) => a.stmt.line).join(', ')}, and the export does not tell which ran`,
      };
    return { file: fits[0].file, line: fits[0].stmt.line, value: fits[0].value };
  }

  /** Items of a Sequential matched to the children the export shows, over every way the code could have built it. */
  private resolveSequence(
    parent: ObservedModule,
    program: Segment[],
    keyed: boolean,
  ): Map<string, { file: string; line: number; value: Value } | { reason: string }> {
    const out = new Map<string, { file: string; line: number; value: Value } | { reason: string }>();
    const names = [...parent.children.keys()];
    const where = parent.path || 'the model';
    if (!keyed && names.some((n) => !/^\d+$/.test(n))) {
      for (const n of names) out.set(n, { reason: `${where} is a sequence, but the export names its child ${n}` });
      return out;
    }
    const maxIndex = keyed ? names.length : Math.max(-1, ...names.map(Number));
    let realizations: Item[][];
    try {
      realizations = this.realize(program, maxIndex + 6);
    } catch (e) {
      if (!(e instanceof TooMany)) throw e;
      for (const n of names) out.set(n, { reason: `${where} can be built in more than ${MAX_REALIZATIONS} ways` });
      return out;
    }
    const chosen = new Map<string, Map<number, Item>>();
    let consistent = 0;
    for (const items of realizations) {
      const match = keyed ? this.matchKeyed(items, parent) : this.matchPositional(items, parent);
      if (!match) continue;
      consistent++;
      for (const [name, item] of match) {
        const m = chosen.get(name) ?? new Map<number, Item>();
        m.set(item.id, item);
        chosen.set(name, m);
      }
    }
    for (const n of names) {
      const items = [...(chosen.get(n)?.values() ?? [])];
      const lines = new Set(items.map((i) => `${i.frame.file.file}:${i.expr.line}`));
      if (items.length && lines.size === 1)
        out.set(n, { file: items[0].frame.file.file, line: items[0].expr.line, value: this.itemValue(items[0]) });
      else if (consistent === 0)
        out.set(n, { reason: `no way the code builds ${where} gives the children the export shows` });
      else
        out.set(n, {
          reason: `item ${n} of ${where} is built at lines ${[...new Set(items.map((i) => i.expr.line))].join(' or ')}, depending on run-time values`,
        });
    }
    return out;
  }

  private itemValue(item: Item): Value {
    let v = this.itemValues.get(item.id);
    if (!v) {
      v = this.ev.evaluate(item.expr.kind === 'starred' ? item.expr.value : item.expr, {
        ...item.frame,
        depth: item.frame.depth + 1,
      });
      this.itemValues.set(item.id, v);
    }
    return v;
  }

  /** Every item list the program can produce up to `cap` items (loops unrolled, optional blocks in or out). */
  private realize(program: Segment[], cap: number): Item[][] {
    const key = (xs: Item[]) => xs.map((x) => x.id).join(',');
    const dedupe = (xs: Item[][]) => {
      const m = new Map<string, Item[]>();
      for (const x of xs) if (x.length <= cap) m.set(key(x), x);
      if (m.size > MAX_REALIZATIONS) throw new TooMany();
      return [...m.values()];
    };
    const go = (segs: Segment[]): Item[][] => {
      let acc: Item[][] = [[]];
      for (const s of segs) {
        if (s.kind === 'item') acc = dedupe(acc.map((a) => [...a, s.item]));
        else if (s.kind === 'optional') {
          const body = go(s.body);
          acc = dedupe([...acc, ...acc.flatMap((a) => body.map((b) => [...a, ...b]))]);
        } else {
          const body = go(s.body).filter((b) => b.length > 0);
          let frontier = acc;
          const all = [...acc];
          for (let k = 0; k < cap && frontier.length; k++) {
            frontier = dedupe(frontier.flatMap((a) => body.map((b) => [...a, ...b])));
            all.push(...frontier);
          }
          acc = dedupe(all);
        }
      }
      return acc;
    };
    return go(program);
  }

  private matchPositional(items: Item[], parent: ObservedModule): Map<string, Item> | undefined {
    const out = new Map<string, Item>();
    const callees = new Map<string, string>();
    for (let i = 0; i < items.length; i++) {
      const v = this.itemValue(items[i]);
      const obs = parent.children.get(String(i));
      if (!obs) {
        if (visible(v)) return undefined;
        continue;
      }
      if (!this.compatible(v, obs)) return undefined;
      // Items made by the same unknown callee (`block(…)`) are one class: their forwards must agree.
      if (v.kind === 'opaque' && obs.forward) {
        const sig = `${obs.forward.file}:${this.stackClass(obs)?.name ?? (isTorchInternal(obs.forward.file) ? obs.forward.file : '?')}`;
        const seen = callees.get(v.callee);
        if (seen !== undefined && seen !== sig) return undefined;
        callees.set(v.callee, sig);
      }
      out.set(String(i), items[i]);
    }
    for (const n of parent.children.keys()) if (!out.has(n)) return undefined;
    return out;
  }

  private matchKeyed(items: Item[], parent: ObservedModule): Map<string, Item> | undefined {
    // Later items under the same key replace earlier ones (dict semantics).
    const byKey = new Map<string, Item>();
    const patterns: Item[] = [];
    for (const it of items) {
      if (typeof it.key === 'string') byKey.set(it.key, it);
      else if (it.key) patterns.push(it);
    }
    const out = new Map<string, Item>();
    const used = new Set<Item>();
    for (const [name, obs] of parent.children) {
      let item = byKey.get(name);
      if (!item) {
        const ids = new Set(patterns.filter((p) => (p.key as RegExp).test(name)).map((p) => p.id));
        if (ids.size !== 1) return undefined;
        item = patterns.find((p) => (p.key as RegExp).test(name))!;
      }
      if (!this.compatible(this.itemValue(item), obs)) return undefined;
      out.set(name, item);
      used.add(item);
    }
    for (const it of byKey.values()) if (!used.has(it) && visible(this.itemValue(it))) return undefined;
    return out;
  }

  /** Whether a value could be the module the export shows (its class per the stack, its ops, its children). */
  private compatible(v: Value, obs: ObservedModule): boolean {
    const f = obs.forward;
    const stackCls = this.stackClass(obs);
    const seqForward = !!f && /(^|\/)torch\/nn\/modules\/container\.py$/.test(f.file.replace(/\\/g, '/'));
    const torchForward = !!f && isTorchInternal(f.file) && !seqForward;
    switch (v.kind) {
      case 'instance':
        if (stackCls) return this.index.isSubclass(v.cls, stackCls);
        if (seqForward) return this.index.isSequential(v.cls);
        if (torchForward) return !this.ev.findMethod(v.cls, 'forward');
        if (f && !isTorchInternal(f.file)) return true;
        return this.index.isSequential(v.cls) ? obs.children.size > 0 : true;
      case 'library': {
        if (isSequenceName(v.name)) return !stackCls && !torchForward && obs.children.size > 0;
        if (stackCls || seqForward || obs.children.size > 0) return false;
        const family = TORCH_OPS[v.name];
        return !family || obs.ops.size === 0 || [...obs.ops].some((o) => family.includes(o));
      }
      case 'sequence':
        if (stackCls) return !!v.cls && this.index.isSubclass(v.cls, stackCls);
        if (torchForward) return false;
        return obs.children.size > 0;
      case 'choice':
        return v.options.some((o) => this.compatible(o, obs));
      case 'none':
        return false;
      default:
        return true;
    }
  }

  /** `self.<attr> = …` names of a class and its indexed bases. */
  private attributeNames(cls: PyClass): Set<string> {
    let s = this.attrNames.get(cls);
    if (s) return s;
    s = new Set();
    for (const { cls: c } of this.ev.classChain(this.ev.instantiate(cls, cls.stmt.line))) {
      for (const fn of c.methods.values()) {
        walkStatements(fn.body, (st) => {
          if (st.kind === 'assign')
            for (const t of st.targets)
              if (t.kind === 'attr' && t.value.kind === 'name' && t.value.id === 'self') s!.add(t.attr);
        });
      }
    }
    this.attrNames.set(cls, s);
    return s;
  }

  /**
   * The indexed classes that assign every one of these attributes, and no called submodule the export would show
   * but does not (a Bottleneck's conv3 rules it out for a BasicBlock's modules).
   */
  private classesWithAttributes(shown: string[], obs: ObservedModule): PyClass[] {
    // `relu_1` is the second call of `relu`, not an attribute of its own.
    const names = shown.filter((n) => !shown.includes(n.replace(/_\d+$/, '')) || !/_\d+$/.test(n));
    if (names.length === 0) return [];
    const out: PyClass[] = [];
    for (const cls of this.index.allClasses()) {
      const attrs = this.attributeNames(cls);
      if (!names.every((n) => attrs.has(n))) continue;
      const inst = this.ev.instantiate(cls, cls.stmt.line);
      const called = this.calledAttributes(cls);
      const hidden = [...attrs]
        .filter((a) => !obs.children.has(a) && called.has(a))
        .some((a) => this.ev.attributeValues(inst, a).some((x) => visible(x.value)));
      if (hidden) continue;
      if (
        obs.forward &&
        !isTorchInternal(obs.forward.file) &&
        this.stackClass(obs) &&
        !this.index.isSubclass(cls, this.stackClass(obs)!)
      )
        continue;
      out.push(cls);
    }
    // A subclass whose own attributes the export does not show (QuantizableResNet's quant stubs) adds nothing to
    // what its base explains: the base is the match.
    const addsNothingShown = (c: PyClass, base: PyClass) =>
      [...this.attributeNames(c)].every((a) => this.attributeNames(base).has(a) || !obs.children.has(a));
    return out.filter((c) => !out.some((o) => o !== c && this.index.isSubclass(c, o) && addsNothingShown(c, o)));
  }

  private calledAttributes(cls: PyClass): Set<string> {
    const out = new Set<string>();
    for (const fn of cls.methods.values()) {
      walkStatements(fn.body, (s) => {
        for (const e of statementExpressions(s))
          visitExpr(
            e,
            (x) =>
              x.kind === 'call' &&
              x.func.kind === 'attr' &&
              x.func.value.kind === 'name' &&
              x.func.value.id === 'self' &&
              out.add(x.func.attr),
          );
      });
    }
    return out;
  }

  /** Where the parent calls `self.<name>(…)`: its forward first, then its other methods. */
  private callOf(inst: Instance, name: string): { file: string; line: number } | undefined {
    for (const { cls } of this.ev.classChain(inst)) {
      const methods = [...cls.methods.values()].sort((a, b) =>
        a.name === 'forward' ? -1 : b.name === 'forward' ? 1 : 0,
      );
      for (const fn of methods) {
        if (fn.name === '__init__') continue;
        let line: number | undefined;
        walkStatements(fn.body, (s) => {
          if (line !== undefined) return;
          for (const e of statementExpressions(s))
            visitExpr(
              e,
              (x) =>
                line === undefined &&
                x.kind === 'call' &&
                x.func.kind === 'attr' &&
                x.func.attr === name &&
                x.func.value.kind === 'name' &&
                x.func.value.id === 'self' &&
                (line = x.line),
            );
        });
        if (line !== undefined) return { file: cls.file, line };
      }
    }
    return undefined;
  }
}

function visible(v: Value): boolean {
  if (v.kind === 'library') return ALWAYS_VISIBLE.has(v.name);
  if (v.kind === 'choice') return v.options.every(visible);
  return false;
}

function className(v: Value): string | undefined {
  if (v.kind === 'instance') return v.cls.name;
  if (v.kind === 'library') return v.name;
  if (v.kind === 'sequence') return v.cls?.name ?? 'Sequential';
  return undefined;
}

export function statementExpressions(s: PyStmt): PyExpr[] {
  switch (s.kind) {
    case 'assign':
      return [...s.targets, s.value];
    case 'augassign':
      return [s.target, s.value];
    case 'return':
      return s.value ? [s.value] : [];
    case 'expr':
      return [s.value];
    case 'if':
    case 'elif':
    case 'while':
      return s.test ? [s.test] : [];
    case 'for':
      return s.iter ? [s.iter] : [];
    default:
      return [];
  }
}

export function visitExpr(e: PyExpr, visit: (e: PyExpr) => unknown): void {
  visit(e);
  switch (e.kind) {
    case 'attr':
    case 'starred':
      visitExpr(e.value, visit);
      break;
    case 'call':
      visitExpr(e.func, visit);
      for (const a of e.args) visitExpr(a.value, visit);
      break;
    case 'subscript':
      visitExpr(e.value, visit);
      visitExpr(e.index, visit);
      break;
    case 'list':
    case 'tuple':
    case 'set':
      for (const x of e.items) visitExpr(x, visit);
      break;
    case 'dict':
      for (const x of e.entries) {
        if (x.key) visitExpr(x.key, visit);
        visitExpr(x.value, visit);
      }
      break;
    case 'opaque':
      for (const x of e.parts ?? []) visitExpr(x, visit);
      break;
  }
}
