/** Every `pxp` command, in help order. The CLI dispatches on it, and the engine process runs the same objects. */
import type { Command } from './command';
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

export const COMMANDS: Command[] = [infoCommand, trainCommand, evaluateCommand, predictCommand, attributeCommand, pruneCommand, sharedSearchCommand, studiesCommand, compareCommand, exportCommand, demoCommand];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
