/** How PXP names an explained class everywhere (heatmap PNGs, the Relevance panel): "class 3: Dress", or "class 3". */
export function classLabel(target: number, classNames: readonly string[] | undefined): string {
  const name = classNames?.[target];
  return name !== undefined ? `class ${target}: ${name}` : `class ${target}`;
}
