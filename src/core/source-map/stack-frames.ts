/**
 * The Python call stack `torch.onnx.export(..., verbose=True)` keeps in each node's doc string, innermost frame
 * first: `/…/torchvision/models/resnet.py(92): forward`. A module call enters through torch's
 * `Module._call_impl` (nn/modules/module.py), so the frames between two such entries are one module's own code:
 * its forward, and last the line that calls the next module. Aligning the entries from the inside with the node's
 * scope names gives, for every module on the node's path, the line in its parent that called it and the line of
 * its own forward (which names its class).
 */

export interface StackFrame {
  file: string;
  line: number;
  fn: string;
}

const FRAME = /^(.*)\((\d+)\): (\S+)\s*$/;

/** The frames of a doc string, innermost first; [] when it holds none. */
export function parseStack(doc: string): StackFrame[] {
  const out: StackFrame[] = [];
  for (const raw of doc.split('\n')) {
    const m = FRAME.exec(raw.trim());
    if (m) out.push({ file: m[1], line: Number(m[2]), fn: m[3] });
  }
  return out;
}

const norm = (f: string) => f.replace(/\\/g, '/');

/** Code of the torch package itself (module.py, container.py, functional.py, the tracer and the exporter). */
export const isTorchInternal = (file: string) =>
  /(^|\/)torch\/(nn|jit|onnx|autograd|_|utils|overrides|fx)/.test(norm(file)) ||
  /(^|\/)torch\/[\w]+\.py$/.test(norm(file));

const isModuleEntry = (f: StackFrame) =>
  f.fn === '_call_impl' && /(^|\/)torch\/nn\/modules\/module\.py$/.test(norm(f.file));
/** torch's own frames around a module call (`_slow_forward`, `_wrapped_call_impl` in torch 2). */
const isModuleMachinery = (f: StackFrame) => /(^|\/)torch\/nn\/modules\/module\.py$/.test(norm(f.file));

export interface ModuleFrames {
  /** The line in the parent's code that called this module (outside torch's module machinery). */
  call?: StackFrame;
  /** The module's own forward (the first of its frames): in torch's container.py for a Sequential. */
  forward?: StackFrame;
}

/**
 * For a node whose scope path has `depth` modules below the model (`/layer1/layer1.0/conv1/Conv` → 3), the frames of
 * the model itself (index 0) and of each of those modules (1 … depth). Undefined when the stack has fewer module
 * entries than that (an export without `verbose=True` has no stack at all).
 */
export function framesByLevel(stack: StackFrame[], depth: number): ModuleFrames[] | undefined {
  const entries: number[] = [];
  stack.forEach((f, i) => isModuleEntry(f) && entries.push(i));
  // entries[0] is the innermost module (the deepest scope); the model is entry `depth`.
  if (entries.length < depth + 1) return undefined;
  const out: ModuleFrames[] = [];
  for (let level = 0; level <= depth; level++) {
    const entry = entries[depth - level];
    const inner = level < depth ? entries[depth - level - 1] : -1;
    // The module's own frames lie between its entry and the next (inner) module's entry.
    const own = stack.slice(inner + 1, entry).filter((f) => !isModuleMachinery(f));
    // Its caller: the first frame outside torch's machinery beyond its entry.
    const call = stack.slice(entry + 1).find((f) => !isModuleMachinery(f));
    out.push({ forward: own[own.length - 1], ...(level > 0 && call ? { call } : {}) });
  }
  return out;
}
