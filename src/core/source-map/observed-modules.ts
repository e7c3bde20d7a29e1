/**
 * The modules an ONNX export shows: every module path on a node's scope, with its children (the next names down),
 * the ops it ran itself, and, when the export kept stacks (`verbose=True`), the line that called it and the line of
 * its forward. This is what the source map places, and what static reading of the Python code is checked against.
 */
import type { ModelProto } from '../io/onnx/onnx-file';
import { modulePathLevels } from '../io/onnx/module-path';
import { type ModuleFrames, type StackFrame, framesByLevel, parseStack } from './stack-frames';

export interface ObservedModule {
  path: string;
  /** The name under its parent: `conv1`, `0`, `encoder_layer_3`. */
  name: string;
  parent?: string;
  children: Map<string, ObservedModule>;
  /** ONNX op types of the nodes whose innermost scope is this module. */
  ops: Set<string>;
  call?: StackFrame;
  forward?: StackFrame;
}

export interface ObservedModel {
  root: ObservedModule;
  modules: Map<string, ObservedModule>;
  /** Nodes whose doc string holds a Python stack. */
  nodesWithStack: number;
}

export function observeModules(model: ModelProto): ObservedModel {
  const root: ObservedModule = { path: '', name: '', children: new Map(), ops: new Set() };
  const modules = new Map<string, ObservedModule>();
  let nodesWithStack = 0;
  for (const node of model.graph?.node ?? []) {
    const levels = modulePathLevels(node.name);
    let parent = root;
    for (const p of levels) {
      let m = modules.get(p);
      if (!m) {
        const name = parent.path && p.startsWith(parent.path + '.') ? p.slice(parent.path.length + 1) : p;
        m = { path: p, name, parent: parent.path, children: new Map(), ops: new Set() };
        modules.set(p, m);
        parent.children.set(name, m);
      }
      parent = m;
    }
    parent.ops.add(node.opType);
    const stack = node.docString ? parseStack(node.docString) : [];
    if (stack.length === 0) continue;
    nodesWithStack++;
    const frames = framesByLevel(stack, levels.length);
    if (!frames) continue;
    const at = (level: number): ObservedModule => (level === 0 ? root : modules.get(levels[level - 1])!);
    frames.forEach((f: ModuleFrames, level) => {
      const m = at(level);
      m.call ??= f.call;
      m.forward ??= f.forward;
    });
  }
  return { root, modules, nodesWithStack };
}
