/** Every `pxp` command, in help order. The CLI dispatches on it, and the engine process runs the same objects. */
import type { EngineCommand } from '../protocol/engine';
import type { Command, CommandValue } from './command';
import { attributeCommand } from './commands/attribute';
import { compareCommand } from './commands/compare';
import { demoCommand } from './commands/demo';
import { evaluateCommand } from './commands/evaluate';
import { exportCommand } from './commands/export';
import { infoCommand } from './commands/info';
import { predictCommand } from './commands/predict';
import { pruneCommand } from './commands/prune';
import { sharedSearchCommand } from './commands/search-study';
import { studiesCommand } from './commands/studies';
import { trainCommand } from './commands/train';

export const COMMANDS: Command[] = [
  infoCommand,
  trainCommand,
  evaluateCommand,
  predictCommand,
  attributeCommand,
  pruneCommand,
  sharedSearchCommand,
  studiesCommand,
  compareCommand,
  exportCommand,
  demoCommand,
];

/** The commands the engine process runs for the editor, by name: where each one's result type comes from. */
export const ENGINE_COMMAND_TABLE = {
  attribute: attributeCommand,
  prune: pruneCommand,
  search: sharedSearchCommand,
  train: trainCommand,
  export: exportCommand,
  evaluate: evaluateCommand,
  predict: predictCommand,
  info: infoCommand,
  compare: compareCommand,
} satisfies Record<EngineCommand, Command>;

/** What each engine command resolves to (its `--json` document). */
export type CommandValues = { [C in EngineCommand]: CommandValue<(typeof ENGINE_COMMAND_TABLE)[C]> };

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
