/**
 * Progress on stderr: JSON lines with --json (machine readable, one per update), otherwise a single updating line on
 * a terminal or one line per few seconds when stderr is a file or pipe (CI logs stay short).
 */
import type { Progress, ProgressSink } from '../core/progress';

export function formatSeconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatProgress(p: Progress): string {
  const pct = p.total > 0 ? `${((100 * p.done) / p.total).toFixed(0).padStart(3)}%` : '';
  const metrics = p.metrics
    ? ' ' +
      Object.entries(p.metrics)
        .filter(([k]) => !['epoch', 'batch'].includes(k))
        .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
        .join(' ')
    : '';
  const etaText = p.etaSeconds !== undefined ? ` ETA ${formatSeconds(p.etaSeconds)}` : '';
  return `${pct} ${p.message}${metrics}${etaText}`;
}

export function progressPrinter(opts: { json: boolean; quiet: boolean; stream?: NodeJS.WriteStream }): ProgressSink {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet) return () => {};
  let last = 0;
  if (opts.json) {
    return (p) => {
      const now = Date.now();
      if (now - last < 250 && p.done < p.total) return;
      last = now;
      stream.write(JSON.stringify({ progress: p }) + '\n');
    };
  }
  const tty = stream.isTTY;
  return (p) => {
    const now = Date.now();
    const final = p.done >= p.total;
    if (!final && now - last < (tty ? 100 : 5000)) return;
    last = now;
    if (tty) stream.write(`\r\x1b[K${formatProgress(p)}${final ? '\n' : ''}`);
    else stream.write(formatProgress(p) + '\n');
  };
}
