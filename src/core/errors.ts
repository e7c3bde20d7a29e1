/**
 * Errors users can act on. Every failure the engine reports is a PxpError with a code that maps to the CLI's exit
 * status (usage 1, bad-input 2, internal 3, cancelled 130), a message naming what is wrong (the file, the layer, the
 * setting) and a hint saying what to do about it.
 */
export type PxpErrorCode = 'usage' | 'bad-input' | 'internal' | 'cancelled';

export class PxpError extends Error {
  constructor(
    readonly code: PxpErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'PxpError';
  }

  /** The message and the hint as one line each, the way the CLI and the extension show them. */
  describe(): string {
    return this.hint ? `${this.message}\n  hint: ${this.hint}` : this.message;
  }
}

export const usageError = (message: string, hint?: string) => new PxpError('usage', message, hint);
export const badInput = (message: string, hint?: string) => new PxpError('bad-input', message, hint);

export const EXIT_CODES: Record<PxpErrorCode, number> = { usage: 1, 'bad-input': 2, internal: 3, cancelled: 130 };

/** Any thrown value as a PxpError; unknown errors are internal ones and keep their stack for the log. */
export function asPxpError(e: unknown): PxpError {
  if (e instanceof PxpError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  const wrapped = new PxpError('internal', err.message, 'this is a bug in PXP Studio; please report it with the log');
  wrapped.stack = err.stack;
  return wrapped;
}
