// Preloaded into a CLI run by bench/torchvision.mjs (node --require bench/peak-rss.cjs dist/cli.js …): prints, as the
// process exits, its peak resident set size and CPU time (onnxruntime's native memory and threads included) as one
// JSON line on stderr.
process.on('exit', () => {
  const u = process.resourceUsage();
  require('node:fs').writeSync(
    2,
    `\n${JSON.stringify({ peakRssKb: u.maxRSS, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6 })}\n`,
  );
});
