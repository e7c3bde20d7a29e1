/** Test set-up: every engine test runs on the project's default backend (wasm here), as the CLI does. */
import { initBackend } from '../../src/core/backend/select';

export async function useDefaultBackend(): Promise<string> {
  const choice = await initBackend('auto');
  return choice.name;
}
