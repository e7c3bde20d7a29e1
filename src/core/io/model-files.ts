/**
 * tfjs LayersModels on the local file system (model.json + weight shards), without tfjs-node. Loading validates
 * everything that users get wrong (truncated JSON, missing or short shards, layers we do not support) before tfjs
 * sees it, so the error names the file and the fix. Saving writes each file to a temp sibling and renames it, the
 * weights before model.json, so a reader never sees a model.json pointing at missing weights.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { badInput, PxpError } from '../errors';
import {
  SUPPORTED_ACTIVATIONS,
  SUPPORTED_LAYER_CLASSES,
  isSupportedActivation,
  isSupportedLayerClass,
} from '../graph/supported';
import { writeFileAtomic } from './atomic';
// Registers the ViT's custom layers with tf.serialization, so every model load can rebuild them.
import '../models/vit-layers';

type ModelJSON = tf.io.ModelJSON;
type WeightsEntry = tf.io.WeightsManifestEntry;

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

interface LayerConfigJSON {
  class_name: string;
  config: { name?: string; activation?: string; layers?: LayerConfigJSON[] } & Record<string, unknown>;
}

/** Reads and checks model.json; returns the parsed document and the weight bytes, concatenated in manifest order. */
export function readModelFiles(modelPath: string): {
  json: ModelJSON;
  weightSpecs: WeightsEntry[];
  weightData: ArrayBuffer;
} {
  const file = resolveModelJson(modelPath);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw badInput(
      `${file}: cannot read the model (${(e as Error).message})`,
      'pass --model the path of a tfjs model.json or of the folder holding it',
    );
  }
  let json: ModelJSON;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw badInput(
      `${file}: not valid JSON (${(e as Error).message}); the file may be truncated`,
      'export the model again with model.save() (tfjs) or tensorflowjs_converter (Keras)',
    );
  }
  if (!json || typeof json !== 'object' || !json.modelTopology) {
    throw badInput(
      `${file}: no "modelTopology"; this is not a tfjs LayersModel`,
      'export a Keras/tfjs LayersModel (format "layers-model"); graph models are not supported',
    );
  }
  if ((json as { format?: string }).format === 'graph-model') {
    throw badInput(
      `${file}: a tfjs graph model; PXP needs a LayersModel with layer structure`,
      'convert the Keras model with tensorflowjs_converter --output_format tfjs_layers_model',
    );
  }
  checkLayers(file, json.modelTopology as { class_name?: string; config?: unknown; model_config?: unknown });
  const manifest = json.weightsManifest ?? [];
  if (!Array.isArray(manifest)) throw badInput(`${file}: "weightsManifest" is not a list`, 'export the model again');
  const weightSpecs: WeightsEntry[] = [];
  const shards: Uint8Array[] = [];
  let expected = 0;
  checkManifest(file, manifest);
  for (const group of manifest) {
    for (const spec of group.weights) {
      weightSpecs.push(spec);
      expected += spec.shape.reduce((a, b) => a * b, 1) * (DTYPE_BYTES[spec.quantization?.dtype ?? spec.dtype] ?? 4);
    }
    for (const p of group.paths) {
      const shard = path.join(path.dirname(file), p);
      if (!fs.existsSync(shard)) {
        throw badInput(
          `${file}: weights file '${p}' is missing (looked for ${shard})`,
          'copy the weight shards listed in model.json next to it',
        );
      }
      shards.push(fs.readFileSync(shard));
    }
  }
  const total = shards.reduce((a, s) => a + s.byteLength, 0);
  if (total !== expected) {
    throw badInput(
      `${file}: the weight files hold ${total} bytes but model.json's manifest needs ${expected}`,
      'the weights do not belong to this model.json, or a download was cut short: export the model again',
    );
  }
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const s of shards) {
    weightData.set(s, offset);
    offset += s.byteLength;
  }
  checkFiniteWeights(file, weightSpecs, weightData);
  return { json, weightSpecs, weightData: weightData.buffer };
}

/** Each manifest group lists its shard paths and weights {name, shape of whole numbers, a known dtype}. */
function checkManifest(file: string, manifest: unknown[]): void {
  const hint = 'the weights manifest in model.json is damaged: export the model again';
  for (const [g, group] of manifest.entries()) {
    const { paths, weights } = (group ?? {}) as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && p !== ''))
      throw badInput(`${file}: weightsManifest[${g}].paths is not a list of file names`, hint);
    if (!Array.isArray(weights)) throw badInput(`${file}: weightsManifest[${g}].weights is not a list`, hint);
    for (const w of weights as {
      name?: unknown;
      shape?: unknown;
      dtype?: unknown;
      quantization?: { dtype?: unknown };
    }[]) {
      const name = typeof w?.name === 'string' ? w.name : undefined;
      if (!name) throw badInput(`${file}: a weight of weightsManifest[${g}] has no name`, hint);
      if (!Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0))
        throw badInput(
          `${file}: weight '${name}' has shape ${JSON.stringify(w.shape)?.slice(0, 40)}, not a list of whole numbers`,
          hint,
        );
      const dtype = w.quantization?.dtype ?? w.dtype;
      if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype))
        throw badInput(`${file}: weight '${name}' has dtype ${JSON.stringify(dtype)}, which PXP does not read`, hint);
    }
  }
}

/** NaN or infinite float32 weights would flow into every score and curve: refused, naming the weight. */
function checkFiniteWeights(file: string, specs: WeightsEntry[], data: Uint8Array): void {
  let offset = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    if (dtype === 'float32') {
      // A DataView: after quantized (1- or 2-byte) weights a float32 weight need not be 4-byte aligned.
      const values = new DataView(data.buffer, data.byteOffset + offset, count * 4);
      for (let i = 0; i < count; i++) {
        const v = values.getFloat32(i * 4, true);
        if (!Number.isFinite(v))
          throw badInput(
            `${file}: weight '${spec.name}' holds ${v} (at flat index ${i})`,
            'the weights are damaged or training diverged: train or export the model again',
          );
      }
    }
    offset += count * (DTYPE_BYTES[dtype] ?? 4);
  }
}

/** Accepts a model.json path or a folder containing one. */
export function resolveModelJson(modelPath: string): string {
  if (fs.existsSync(modelPath) && fs.statSync(modelPath).isDirectory()) {
    const inside = path.join(modelPath, 'model.json');
    if (!fs.existsSync(inside))
      throw badInput(`${modelPath}: folder has no model.json`, 'pass the path of a tfjs model.json');
    return inside;
  }
  if (!fs.existsSync(modelPath))
    throw badInput(`${modelPath}: model file not found`, 'pass --model the path of a tfjs model.json');
  return modelPath;
}

function checkLayers(file: string, topology: { class_name?: string; config?: unknown; model_config?: unknown }): void {
  const root = (topology.model_config ?? topology) as LayerConfigJSON;
  const layers = root?.config?.layers;
  if (!Array.isArray(layers))
    throw badInput(`${file}: modelTopology has no layer list`, 'export the model again with model.save()');
  if (layers.length === 0)
    throw badInput(`${file}: the model has no layers`, 'export the model again with model.save(), after building it');
  for (const layer of layers) {
    if (!layer || typeof layer !== 'object' || typeof layer.class_name !== 'string')
      throw badInput(
        `${file}: a layer entry is not {"class_name", "config"}`,
        'export the model again with model.save()',
      );
    const name = layer.config?.name ?? '(unnamed)';
    if (!isSupportedLayerClass(layer.class_name) && /attention/i.test(layer.class_name)) {
      throw badInput(
        `${file}: layer '${name}' is an attention layer of class ${layer.class_name}, which PXP does not recognise`,
        'PXP supports MultiHeadSelfAttention (its own layer: q, k, v and output projections with biases, softmax over keys, as built by pxp train --arch vit); rebuild the model with it',
      );
    }
    if (!isSupportedLayerClass(layer.class_name)) {
      throw badInput(
        `${file}: layer '${name}' has class ${layer.class_name}, which PXP does not support`,
        `supported layer classes: ${SUPPORTED_LAYER_CLASSES.join(', ')}`,
      );
    }
    const act = layer.config?.activation;
    if (typeof act === 'string' && !isSupportedActivation(act)) {
      throw badInput(
        `${file}: layer '${name}' uses activation '${act}', which PXP does not support`,
        `supported activations: ${SUPPORTED_ACTIVATIONS.join(', ')}`,
      );
    }
  }
  if (root.class_name !== 'Sequential') checkTopology(file, root);
}

type LayerJSON = LayerConfigJSON & { name?: string; inbound_nodes?: unknown };

/**
 * Reads a reference [layer, node index, tensor index, …] to a node that exists, as the layer it names; `where` starts
 * the error for one that does not.
 */
function refResolver(
  file: string,
  layers: LayerJSON[],
  names: Set<string>,
  hint: string,
): (ref: unknown, where: string) => string {
  // How many times each layer is called (its nodes): an input layer once, any other layer once per inbound node.
  const nodeCount = new Map(
    layers.map((l) => [
      l.name!,
      l.class_name === 'InputLayer' ? 1 : Array.isArray(l.inbound_nodes) ? l.inbound_nodes.length : 0,
    ]),
  );
  return (ref: unknown, where: string): string => {
    const [source, nodeIndex, tensorIndex] = Array.isArray(ref) ? ref : [];
    if (typeof source !== 'string')
      throw badInput(`${file}: ${where} names no layer (${JSON.stringify(ref)?.slice(0, 60)})`, hint);
    if (!names.has(source))
      throw badInput(`${file}: ${where} takes its input from '${source}', which is not a layer of the model`, hint);
    if (!Number.isInteger(nodeIndex) || nodeIndex < 0 || nodeIndex >= nodeCount.get(source)!)
      throw badInput(
        `${file}: ${where} reads call ${JSON.stringify(nodeIndex)} of layer '${source}', which is called ${nodeCount.get(source)} time(s)`,
        hint,
      );
    if (tensorIndex !== 0)
      throw badInput(
        `${file}: ${where} reads output ${JSON.stringify(tensorIndex)} of layer '${source}', which has one output (0)`,
        hint,
      );
    return source;
  };
}

/**
 * A functional model's graph as tfjs would build it: every inbound node names an existing layer other than its own,
 * the layers form no cycle, the declared inputs and outputs exist. tfjs itself loops forever on a cycle or a dangling
 * name, so these are checked first, naming the layer.
 */
function checkTopology(file: string, root: LayerConfigJSON): void {
  const hint = 'the topology in model.json is damaged: export the model again with model.save()';
  const layers = root.config.layers as LayerJSON[];
  // tfjs resolves a functional model's inbound nodes by each layer's top-level "name" (not config.name).
  const nameOf = (l: LayerJSON) => l.name;
  const names = new Set<string>();
  for (const l of layers) {
    const name = nameOf(l);
    if (typeof name !== 'string') throw badInput(`${file}: a layer of class ${l.class_name} has no name`, hint);
    if (names.has(name)) throw badInput(`${file}: two layers are named '${name}'`, hint);
    names.add(name);
  }
  const resolve = refResolver(file, layers, names, hint);
  const inputsOf = new Map<string, string[]>();
  for (const l of layers) {
    const name = nameOf(l)!;
    const nodes = l.inbound_nodes ?? [];
    if (!Array.isArray(nodes)) throw badInput(`${file}: layer '${name}': inbound_nodes is not a list`, hint);
    if (nodes.length === 0 && l.class_name !== 'InputLayer')
      throw badInput(`${file}: layer '${name}' is never called (no inbound nodes)`, hint);
    const from: string[] = [];
    for (const node of nodes) {
      if (!Array.isArray(node) || node.length === 0)
        throw badInput(`${file}: layer '${name}' has an inbound node with no inputs`, hint);
      for (const ref of node) {
        if (!Array.isArray(ref) || typeof ref[0] !== 'string')
          throw badInput(
            `${file}: layer '${name}' has an inbound node that names no layer (${JSON.stringify(ref)?.slice(0, 60)})`,
            hint,
          );
        if (ref[0] === name) throw badInput(`${file}: layer '${name}' takes its own output as its input`, hint);
        from.push(resolve(ref, `layer '${name}'`));
      }
    }
    inputsOf.set(name, from);
  }
  const cycle = findCycle(inputsOf);
  if (cycle)
    throw badInput(
      `${file}: layer '${cycle[0]}' is on a cycle (${cycle.join(' → ')} → ${cycle[0]}); a model's layers must form a graph without loops`,
      hint,
    );
  for (const key of ['input_layers', 'output_layers'] as const) {
    const list = (root.config as Record<string, unknown>)[key];
    if (list === undefined) continue;
    const what = key === 'input_layers' ? 'input' : 'output';
    if (!Array.isArray(list) || list.length === 0)
      throw badInput(`${file}: the model declares no ${what} layer ("${key}")`, hint);
    for (const entry of list) {
      const name = Array.isArray(entry) ? entry[0] : undefined;
      if (typeof name !== 'string' || !names.has(name))
        throw badInput(
          `${file}: ${what} layer '${typeof name === 'string' ? name : JSON.stringify(entry)}' is not a layer of the model`,
          hint,
        );
      resolve(entry, `${what} layer '${name}'`);
    }
  }
}

/** A cycle in the layer graph (each layer's list of input layers), as the layers along it; undefined when there is none. */
function findCycle(inputsOf: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  // Iterative depth-first search, so a long chain of layers cannot overflow the stack.
  for (const start of inputsOf.keys()) {
    if (state.has(start)) continue;
    const stack: { name: string; next: number }[] = [{ name: start, next: 0 }];
    state.set(start, 'open');
    path.push(start);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const inputs = inputsOf.get(top.name) ?? [];
      if (top.next < inputs.length) {
        const child = inputs[top.next++];
        const s = state.get(child);
        if (s === 'open') return path.slice(path.indexOf(child)).reverse();
        if (s === undefined) {
          state.set(child, 'open');
          path.push(child);
          stack.push({ name: child, next: 0 });
        }
      } else {
        state.set(top.name, 'done');
        path.pop();
        stack.pop();
      }
    }
  }
  return undefined;
}

/** Loads a LayersModel; every problem with the files is a bad-input PxpError naming the file. */
export async function loadModel(modelPath: string): Promise<tf.LayersModel> {
  const { json, weightSpecs, weightData } = readModelFiles(modelPath);
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    trainingConfig: json.trainingConfig,
    userDefinedMetadata: json.userDefinedMetadata,
    weightSpecs,
    weightData,
  };
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    if (e instanceof PxpError) throw e;
    const why = (e as Error)?.message || (e as Error)?.name || String(e);
    const hint = /weight/i.test(why)
      ? 'check that model.json and its weights were exported together'
      : 'the layer configuration in model.json is not one tfjs can build: export the model again with model.save()';
    throw badInput(`${resolveModelJson(modelPath)}: tfjs cannot build the model: ${why}`, hint);
  }
}

/** Metadata PXP keeps in model.json's userDefinedMetadata.pxp (class names, provenance, accuracy). */
export interface PxpModelMetadata {
  classNames?: string[];
  [key: string]: unknown;
}

export function modelMetadata(modelPath: string): PxpModelMetadata {
  const json = JSON.parse(fs.readFileSync(resolveModelJson(modelPath), 'utf8')) as ModelJSON;
  return ((json.userDefinedMetadata as Record<string, unknown> | undefined)?.pxp as PxpModelMetadata) ?? {};
}

/**
 * Saves a LayersModel as DIR/model.json + DIR/weights.bin. The caller decides whether DIR may be written (see the
 * CLI's output-folder checks); this only guarantees that each file appears whole.
 */
export async function saveModel(model: tf.LayersModel, dir: string, metadata?: PxpModelMetadata): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights =
        artifacts.weightData instanceof ArrayBuffer
          ? new Uint8Array(artifacts.weightData)
          : concat(artifacts.weightData ?? []);
      const modelJson: ModelJSON = {
        format: 'layers-model',
        generatedBy: `PXP Studio (tfjs ${tf.version.tfjs})`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology as {},
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        ...(metadata ? { userDefinedMetadata: { pxp: metadata as {} } } : {}),
      };
      writeFileAtomic(path.join(dir, 'weights.bin'), weights);
      writeFileAtomic(path.join(dir, 'model.json'), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength },
      };
    }),
  );
}

function concat(buffers: ArrayBuffer[]): Uint8Array {
  const out = new Uint8Array(buffers.reduce((a, b) => a + b.byteLength, 0));
  let o = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), o);
    o += b.byteLength;
  }
  return out;
}
