/**
 * What a worker proves it has before it joins a shared study: SHA-256 hashes of the model's files and of the data
 * the trials are scored on, as loaded (after --eval-limit, --classes, --preprocess), so the same samples at other
 * paths on another machine match and a different sample does not.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Dataset } from '../../io/datasets';
import type { LoadedModel } from '../../io/open-model';

const sha256 = () => createHash('sha256');

/** The files a model is read from: model.json and its weight shards, or the .onnx file and its external data. */
export function modelFiles(model: Pick<LoadedModel, 'file' | 'format' | 'onnx'>): string[] {
  const dir = path.dirname(model.file);
  if (model.format === 'onnx') {
    const locations = (model.onnx?.source.model.graph?.initializer ?? []).flatMap((t) =>
      t.externalData.filter((e) => e.key === 'location').map((e) => e.value),
    );
    return [model.file, ...[...new Set(locations)].sort().map((l) => path.resolve(dir, l))];
  }
  const json = JSON.parse(fs.readFileSync(model.file, 'utf8')) as { weightsManifest?: { paths?: string[] }[] };
  return [model.file, ...(json.weightsManifest ?? []).flatMap((g) => g.paths ?? []).map((p) => path.resolve(dir, p))];
}

/** One hash over the model's files, in order (their names do not count, their bytes do). */
export function modelFingerprint(model: Pick<LoadedModel, 'file' | 'format' | 'onnx'>): string {
  const h = sha256();
  for (const f of modelFiles(model)) {
    const bytes = fs.readFileSync(f);
    h.update(`${bytes.length}:`);
    h.update(bytes);
  }
  return h.digest('hex');
}

/** One hash over samples, shape and labels, as the engine sees them. */
export function dataFingerprint(data: Pick<Dataset, 'x' | 'shape' | 'y'>): string {
  const h = sha256();
  h.update(JSON.stringify(data.shape));
  h.update(new Uint8Array(data.x.buffer, data.x.byteOffset, data.x.byteLength));
  h.update(new Uint8Array(data.y.buffer, data.y.byteOffset, data.y.byteLength));
  return h.digest('hex');
}

/** A hash of a JSON value (the search space: groups, parameters, starting points). */
export function jsonFingerprint(value: unknown): string {
  return sha256().update(JSON.stringify(value)).digest('hex');
}
