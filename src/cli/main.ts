/**
 * `pxp <command> [--flags]`: parses flags, runs the command, prints its result (text, or one JSON document with
 * --json) and exits 0 ok / 1 usage / 2 bad input / 3 internal / 130 cancelled (Ctrl+C).
 */
import { parseArgs } from 'node:util';
import type { BackendPreference } from '../core/backend/select';
import { EXIT_CODES, PxpError, asPxpError, usageError } from '../core/errors';
import { CommandContext, commandOptions, helpText } from './command';
import { progressPrinter } from './progress-printer';
import { COMMANDS, findCommand } from './registry';
import { fileSystemError, runCommand } from './run-command';

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'pxp: prune neural networks by explaining them (LRP relevance per component).',
    '',
    'usage: pxp <command> [--flags]     pxp <command> --help',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'exit codes: 0 ok, 1 usage error, 2 bad input, 3 internal error, 130 cancelled',
  ].join('\n');
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp() + '\n');
    return name ? 0 : 1;
  }
  const cmd = findCommand(name);
  const json = rest.includes('--json');
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.on('SIGINT', onSigint);
  try {
    if (!cmd)
      throw usageError(
        `unknown command '${name}'`,
        `commands: ${COMMANDS.map((c) => c.name).join(', ')}; see pxp --help`,
      );
    let flags: Record<string, string | boolean | undefined>;
    try {
      const parsed = parseArgs({ args: rest, options: commandOptions(cmd), allowPositionals: false, strict: true });
      flags = parsed.values as Record<string, string | boolean | undefined>;
    } catch (e) {
      throw usageError((e as Error).message, `see pxp ${cmd.name} --help`);
    }
    if (flags.help) {
      process.stdout.write(helpText(cmd) + '\n');
      return 0;
    }
    const ctx: CommandContext = {
      json,
      force: flags.force === true,
      backend: (typeof flags.backend === 'string' ? flags.backend : 'auto') as BackendPreference,
      progress: progressPrinter({ json, quiet: flags.quiet === true }),
      log: (line) => {
        if (!json && flags.quiet !== true) process.stderr.write(line + '\n');
      },
      signal: controller.signal,
    };
    const result = await runCommand(cmd, flags, ctx);
    process.stdout.write(json ? JSON.stringify(result.value, null, 2) + '\n' : result.text + '\n');
    return 0;
  } catch (e) {
    const err = asPxpError(fileSystemError(e));
    if (json)
      process.stdout.write(JSON.stringify({ error: { code: err.code, message: err.message, hint: err.hint } }) + '\n');
    process.stderr.write(`pxp ${name ?? ''}: error: ${err.describe()}\n`);
    if (err.code === 'internal' && err.stack && process.env.PXP_DEBUG) process.stderr.write(err.stack + '\n');
    return EXIT_CODES[err.code];
  } finally {
    process.off('SIGINT', onSigint);
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`pxp: internal error: ${e instanceof PxpError ? e.describe() : String(e)}\n`);
      process.exitCode = 3;
    },
  );
}
