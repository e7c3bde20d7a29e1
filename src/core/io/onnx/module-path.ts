/**
 * PyTorch module paths from the node names torch.onnx.export writes: `/` + the unqualified names of the modules on
 * the call stack + `/OpType[_k]` (onnx.md). `/layer1/layer1.0/conv1/Conv` → `layer1.0.conv1`,
 * `/features/features.1/conv/conv.0/conv.0.0/Conv` → `features.1.conv.0.0`: a scope that starts with the previous
 * one plus "." names the same module more fully and replaces it; any other scope is a child and is appended.
 */
export function modulePath(nodeName: string): string | undefined {
  const levels = modulePathLevels(nodeName);
  return levels.length ? levels[levels.length - 1] : undefined;
}

/** The path of every module on a node's scope, outermost first: `/layer1/layer1.0/conv1/Conv` → layer1, layer1.0, layer1.0.conv1. */
export function modulePathLevels(nodeName: string): string[] {
  if (!nodeName.startsWith('/')) return [];
  const scopes = nodeName
    .split('/')
    .slice(1, -1)
    .filter((s) => s !== '');
  const parts: string[] = [];
  const levels: string[] = [];
  let prev: string | undefined;
  for (const s of scopes) {
    if (prev !== undefined && s.startsWith(prev + '.')) parts[parts.length - 1] = s;
    else parts.push(s);
    prev = s;
    levels.push(parts.join('.'));
  }
  return levels;
}

/** `layer1.0.conv1.weight` → `layer1.0.conv1` (names of parameters kept by the export). */
export function parameterOwner(initializerName: string): string | undefined {
  if (initializerName.startsWith('onnx::')) return undefined;
  const m = /^(.*)\.(weight|bias|in_proj_weight|in_proj_bias|running_mean|running_var)$/.exec(initializerName);
  return m ? m[1] : undefined;
}

/** Gives every engine node a unique name: a module called twice gets `name`, `name_1`, … */
export class UniqueNames {
  private used = new Set<string>();

  take(name: string): string {
    let out = name;
    for (let k = 1; this.used.has(out); k++) out = `${name}_${k}`;
    this.used.add(out);
    return out;
  }
}
