import { fixed, int, table } from '../support/report.js';
import type { FlowResult } from './measure-viewer.js';
import type { Encoding, ViewerPath } from './viewer-paths.js';

export interface PathResults {
  flows: FlowResult[];
  /** Key-to-glyph times, ms, over all turns. */
  echoes: number[];
}
type Row = PathResults & { path: ViewerPath };

export const quantile = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.max(0, Math.ceil(q * values.length) - 1))]!;
const median = (values: number[]) => quantile(values, 0.5);
const kib = (bytes: number) => int(bytes / 1024);
const percent = (share: number) => `${fixed(share * 100, 0)}%`;
const isDirect = (row: Row) => row.path.relayName === 'websockify';

export function flowTable(rows: Row[]): string {
  return table(
    ['path', 'fps', 'KiB/s', 'relay', 'relay CPU', 'relay loop delay p99 ms', 'Chromium CPU', 'Xvnc CPU'],
    ['l', 'r', 'r', 'l', 'r', 'r', 'r', 'r'],
    rows.map((row) => [
      row.path.name,
      fixed(median(row.flows.map((f) => f.fps))),
      kib(median(row.flows.map((f) => f.bytesPerSecond))),
      row.path.relayName,
      percent(median(row.flows.map((f) => f.cpu.relay))),
      row.flows[0]?.relayLagP99Ms === undefined ? '–' : fixed(median(row.flows.map((f) => f.relayLagP99Ms!))),
      percent(median(row.flows.map((f) => f.cpu.chromium))),
      percent(median(row.flows.map((f) => f.cpu.xvnc))),
    ]),
  );
}

export function echoTable(rows: Row[]): string {
  const direct = rows.find(isDirect);
  return table(
    ['path (xterm, key press → glyph on the canvas)', 'presses', 'p50 ms', 'p95 ms', 'p95 added vs direct'],
    ['l', 'r', 'r', 'r', 'r'],
    rows.map((row) => [
      row.path.name,
      String(row.echoes.length),
      fixed(quantile(row.echoes, 0.5)),
      fixed(quantile(row.echoes, 0.95)),
      direct && row !== direct ? fixed(quantile(row.echoes, 0.95) - quantile(direct.echoes, 0.95)) : '',
    ]),
  );
}

export function encodingTable(swept: Array<{ encoding: Encoding; flow: FlowResult }>): string {
  return table(
    ['quality', 'compression', 'fps', 'KiB/s', 'KiB/frame', 'Xvnc CPU', 'Chromium CPU'],
    ['r', 'r', 'r', 'r', 'r', 'r', 'r'],
    swept.map(({ encoding, flow }) => [
      String(encoding.quality),
      String(encoding.compression),
      fixed(flow.fps),
      kib(flow.bytesPerSecond),
      flow.fps > 0 ? fixed(flow.bytesPerSecond / flow.fps / 1024) : '',
      percent(flow.cpu.xvnc),
      percent(flow.cpu.chromium),
    ]),
  );
}

/** The machine-readable line: the viewer page's (all-in-one) figures against the direct path's. */
export function resultLine(rows: Row[], userPath: ViewerPath): string {
  const direct = rows.find(isDirect);
  const viewer = rows.find((row) => row.path === userPath)!;
  if (!direct) return 'RESULT fps_vs_direct=n/a input_p95_added_ms=n/a';
  const fps = (row: Row) => median(row.flows.map((f) => f.fps));
  const ratio = fps(direct) > 0 ? fixed(fps(viewer) / fps(direct), 2) : 'n/a';
  const added = fixed(quantile(viewer.echoes, 0.95) - quantile(direct.echoes, 0.95), 1);
  return `RESULT fps_vs_direct=${ratio} input_p95_added_ms=${added}`;
}
