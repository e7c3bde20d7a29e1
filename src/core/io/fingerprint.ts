/**
 * Fingerprints of what a search scored its trials on: the model's files and the samples as the trials saw them. A
 * resumed search compares them with those its run.json recorded, so trials of another model or other data are never
 * mixed into one study.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Dataset } from './datasets';
import type { LoadedModel } from './open-model';
import { TensorProto_DataLocation } from './onnx/onnx-file';

const digest = (parts: (string | Uint8Array)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return `sha256:${h.digest('hex')}`;
};

/** The model file and every file it reads weights from (tfjs shards, ONNX external data), in a fixed order. */
export function modelFingerprint(model: LoadedModel): string {
  const dir = path.dirname(model.file);
  let companions: string[];
  if (model.onnx) {
    const locations = model.onnx.source.model
      .graph!.initializer.filter((t) => t.dataLocation === TensorProto_DataLocation.EXTERNAL)
      .map((t) => t.externalData.find((e) => e.key === 'location')?.value ?? '');
    companions = [...new Set(locations)].sort();
  } else {
    const manifest =
      (JSON.parse(fs.readFileSync(model.file, 'utf8')) as { weightsManifest?: { paths: string[] }[] })
        .weightsManifest ?? [];
    companions = manifest.flatMap((g) => g.paths);
  }
  return digest([fs.readFileSync(model.file), ...companions.flatMap((c) => [c, fs.readFileSync(path.join(dir, c))])]);
}

/** The samples, labels and shape a data set feeds the model (after loading, preprocessing and restricting). */
export function dataFingerprint(ds: Dataset): string {
  return digest([
    JSON.stringify(ds.shape),
    new Uint8Array(ds.x.buffer, ds.x.byteOffset, ds.x.byteLength),
    new Uint8Array(ds.y.buffer, ds.y.byteOffset, ds.y.byteLength),
  ]);
}
