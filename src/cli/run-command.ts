/**
 * The one path every command runs through, from the CLI (main.ts) and from the engine process (the editor's jobs):
 * every flag is checked against its declaration before the command starts, and a Ctrl+C (or Cancel) that came while
 * the command's last phase ran without looking is still honoured when it returns.
 */
import { badInput, usageError } from '../core/errors';
import { throwIfCancelled, yieldToEventLoop } from '../core/progress';
import { type Command, commandOptions, type CommandContext, type CommandResult } from './command';
import { writeErrorReason } from '../core/io/result-folder';
import { resultCommitted } from './output-folder';

type Flags = Record<string, string | boolean | undefined>;

/** Flags as the command may take them: known, of the right type, not empty, of the declared kind; required ones given. */
export function checkCommandFlags(cmd: Command, flags: Flags): void {
  const options = commandOptions(cmd);
  for (const [name, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    const spec = options[name];
    if (!spec)
      throw usageError(
        `pxp ${cmd.name} has no --${name}`,
        `options: ${Object.keys(cmd.options)
          .map((o) => `--${o}`)
          .join(', ')}`,
      );
    if (typeof value !== (spec.type === 'boolean' ? 'boolean' : 'string'))
      throw usageError(
        `--${name} takes ${spec.type === 'boolean' ? 'no value' : 'a value'}`,
        `see pxp ${cmd.name} --help`,
      );
    if (typeof value === 'string') {
      if (value.trim() === '') throw usageError(`--${name} needs a value`, `see pxp ${cmd.name} --help`);
      spec.value?.(value, name);
    }
  }
  for (const r of cmd.required ?? [])
    if (flags[r] === undefined) throw usageError(`--${r} is required`, `usage: ${cmd.usage}`);
}

/** Checks the flags, runs the command, and turns a cancel it did not notice into a cancelled error (nothing kept). */
export async function runCommand(cmd: Command, flags: Flags, ctx: CommandContext): Promise<CommandResult> {
  checkCommandFlags(cmd, flags);
  const result = await cmd.run(flags, ctx);
  await yieldToEventLoop();
  if (!resultCommitted(ctx.signal)) throwIfCancelled(ctx.signal);
  return result;
}

/** An error a file system gave while the command ran, outside the output folder's own writer: the user's, not a bug. */
export function fileSystemError(e: unknown): unknown {
  const reason = writeErrorReason(e);
  if (!reason) return e;
  const err = e as NodeJS.ErrnoException;
  return badInput(
    `cannot ${err.syscall ?? 'write'} ${err.path ?? 'a file'}: ${reason}`,
    'check the permissions and the free space of the folders named',
  );
}
