/**
 * The embedded Fashion-MNIST demo: runs offline on a fresh machine from the files under examples/fashion-mnist
 * (a trained VGG-style model, 100 reference images, 1 000 test images). Until pruning lands it shows what the
 * engine knows about the model and how well it does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../../core/errors';
import { Command } from '../command';
import { evaluateCommand } from './evaluate';
import { infoCommand } from './info';

/** examples/fashion-mnist, found from the bundle (dist/cli.js) or from the sources (src/cli/commands). */
export function demoFolder(): string {
  const candidates = [path.resolve(__dirname, '..', 'examples', 'fashion-mnist'), path.resolve(__dirname, '..', '..', '..', 'examples', 'fashion-mnist')];
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'model', 'model.json')));
  if (!found) throw badInput(`the demo files are missing (looked in ${candidates.join(', ')})`, 'run pxp demo from a complete checkout or package of PXP Studio');
  return found;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run PXP on the embedded Fashion-MNIST model and data (offline)',
  usage: 'pxp demo [--json]',
  options: {},
  async run(_flags, ctx) {
    const dir = demoFolder();
    const model = path.join(dir, 'model', 'model.json');
    ctx.log(`PXP demo: ${model}`);
    const info = await infoCommand.run({ model }, ctx);
    const evaluation = await evaluateCommand.run({ model, data: path.join(dir, 'test') }, ctx);
    return {
      value: { demo: dir, info: info.value, evaluate: evaluation.value },
      text: ['== model ==', info.text, '', '== evaluation on the embedded test slice ==', evaluation.text].join('\n'),
    };
  },
};
