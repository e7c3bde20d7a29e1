/** The built-in architectures, by the name `pxp train --arch` takes. */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '../errors';
import { buildResNet } from './resnet';
import { buildVgg } from './vgg';
import { buildVit } from './vit';

export const ARCHITECTURES = ['vgg', 'resnet', 'vit'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export function buildArchitecture(arch: string, inputShape: number[], numClasses: number, seed = 0): tf.LayersModel {
  if (inputShape.length !== 3) {
    throw badInput(
      `architecture '${arch}' needs image inputs [height, width, channels]; the data has shape [${inputShape}]`,
      'use image data (NHWC)',
    );
  }
  const shape = inputShape as [number, number, number];
  switch (arch) {
    case 'vgg':
      return buildVgg({ inputShape: shape, numClasses, seed });
    case 'resnet':
      return buildResNet({ inputShape: shape, numClasses, seed });
    case 'vit':
      return buildVit({ inputShape: shape, numClasses, seed });
    default:
      throw badInput(`unknown architecture '${arch}'`, `choose one of: ${ARCHITECTURES.join(', ')}`);
  }
}
