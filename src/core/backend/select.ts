/**
 * Chooses the tfjs backend at run time. Order (unless the user names one): tensorflow-gpu → tensorflow → wasm → cpu.
 * The tfjs-node packages are optional dependencies that cannot install everywhere, so each candidate is probed and
 * the reason it was skipped is kept for the status bar, `pxp info` and the log.
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '../errors';
import { registerBatchNormGradient } from './batchnorm-gradient';
import { registerFastKernels } from './kernels';
import { registerMaxPoolGradient } from './maxpool-gradient';
import { registerTileGradient } from './tile-gradient';
import { registerTransposeFreeMatMul } from './kernels/batch-matmul';

export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export const BACKEND_PREFERENCES = ['auto', ...BACKENDS] as const;
export type BackendPreference = 'auto' | BackendName;

export interface BackendChoice {
  /** Our name for it (tensorflow-gpu and tensorflow both run on tfjs's 'tensorflow' backend). */
  name: BackendName;
  /** Why each candidate tried before it was skipped. */
  skipped: { name: BackendName; reason: string }[];
}

let current: BackendChoice | undefined;
let currentPreference: BackendPreference | undefined;

export function isBackendPreference(s: string): s is BackendPreference {
  return s === 'auto' || (BACKENDS as readonly string[]).includes(s);
}

/** Loads one tfjs-node flavour; returns why it cannot be used, or undefined when it registered its backend. */
function loadTfjsNode(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(pkg);
    return undefined;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && msg.includes(pkg)) return `${pkg}: not installed`;
    if (/libcud|cudnn|libcublas|libcufft|libcurand|libcusolver|libcusparse/i.test(msg)) {
      return `${pkg}: CUDA 11.2/cuDNN 8.1 libraries not found (${firstLine(msg)})`;
    }
    if (/libtensorflow/i.test(msg)) return `${pkg}: libtensorflow missing; reinstall the package (${firstLine(msg)})`;
    return `${pkg}: ${firstLine(msg)}`;
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0].slice(0, 200);
}

async function activate(tfName: string): Promise<string | undefined> {
  try {
    const ok = await tf.setBackend(tfName);
    await tf.ready();
    // setBackend can resolve false, or silently leave another backend active: check what really runs.
    if (!ok || tf.getBackend() !== tfName)
      return `tf.setBackend('${tfName}') did not take effect (active: ${tf.getBackend()})`;
    return undefined;
  } catch (e) {
    return firstLine(e instanceof Error ? e.message : String(e));
  }
}

async function tryBackend(name: BackendName): Promise<string | undefined> {
  switch (name) {
    case 'tensorflow-gpu': {
      const why = loadTfjsNode('@tensorflow/tfjs-node-gpu');
      if (why) return why;
      return activate('tensorflow');
    }
    case 'tensorflow': {
      const why = loadTfjsNode('@tensorflow/tfjs-node');
      if (why) return why;
      return activate('tensorflow');
    }
    case 'wasm': {
      try {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        const path = await import('node:path');
        const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
        wasm.setWasmPaths(dist + path.sep);
      } catch (e) {
        return `@tensorflow/tfjs-backend-wasm: ${firstLine(e instanceof Error ? e.message : String(e))}`;
      }
      return activate('wasm');
    }
    case 'cpu':
      return activate('cpu');
  }
}

/**
 * Initialises the backend once per process (or again when the preference changes). With 'auto' the first that
 * works wins; a named backend that fails is a bad-input error saying why.
 */
export async function initBackend(preference: BackendPreference = 'auto'): Promise<BackendChoice> {
  // Reuse the choice while it is still the active tfjs backend (something else may have switched it since).
  if (
    current &&
    (preference === currentPreference || preference === current.name) &&
    tf.getBackend() === tfjsName(current.name)
  )
    return current;
  const candidates: BackendName[] = preference === 'auto' ? [...BACKENDS] : [preference];
  const skipped: BackendChoice['skipped'] = [];
  for (const name of candidates) {
    const why = await tryBackend(name);
    if (why === undefined) {
      registerFastKernels(tf.getBackend());
      if (tf.getBackend() === 'wasm') registerTransposeFreeMatMul('wasm');
      registerBatchNormGradient();
      registerMaxPoolGradient();
      registerTileGradient();
      current = { name, skipped };
      currentPreference = preference;
      return current;
    }
    skipped.push({ name, reason: why });
  }
  throw badInput(
    `backend '${preference}' could not be initialised: ${skipped.map((s) => s.reason).join('; ')}`,
    'use --backend auto (or the pxp.backend setting) to fall back to a backend that works here',
  );
}

/** tfjs's own name for a backend of ours: both tfjs-node flavours register 'tensorflow'. */
function tfjsName(name: BackendName): string {
  return name === 'tensorflow-gpu' ? 'tensorflow' : name;
}
