/**
 * The layer classes and activations the engine understands end to end (loading, FLOPs, LRP, pruning). A model
 * using anything else is refused at load time with a message naming the layer, rather than failing deep inside an
 * attribution.
 */
export const SUPPORTED_LAYER_CLASSES = [
  'InputLayer',
  'Dense',
  'Conv2D',
  'DepthwiseConv2D',
  'BatchNormalization',
  'LayerNormalization',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'Softmax',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'Flatten',
  'Reshape',
  'ZeroPadding2D',
  'Dropout',
  'Add',
  'Concatenate',
  // The ViT's own layers (src/core/models/vit-layers.ts).
  'Patches',
  'ClassToken',
  'PositionEmbedding',
  'MultiHeadSelfAttention',
  'TakeToken',
] as const;

/** Activation names as tfjs writes them in a layer config. */
export const SUPPORTED_ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'elu',
  'gelu',
  'gelu_new',
  'sigmoid',
  'tanh',
  'softmax',
  'swish',
  'leakyRelu',
] as const;

export function isSupportedLayerClass(name: string): boolean {
  return (SUPPORTED_LAYER_CLASSES as readonly string[]).includes(name);
}

export function isSupportedActivation(name: string): boolean {
  return (SUPPORTED_ACTIVATIONS as readonly string[]).includes(name);
}
