// What `push` reports as progress: in bytes of the file, not bytes times
// nodes (a 200 MiB file to 3 nodes goes from 0 to 200 MiB), with the nodes
// done and the slowest one in the message. Pure.
import type { PushProgress } from '../mesh/hub/hub.js';
import { humanBytes } from './tool-shapes.js';

export interface ProgressReport {
  /** Mean bytes verified per target node: file bytes, at most `total`. */
  progress: number;
  /** The file's size, bytes. */
  total: number;
  /** e.g. "3/8 nodes done; 120 MiB of 200 MiB on the slowest (pi)". */
  message: string;
}

export function progressReport(p: PushProgress): ProgressReport {
  const nodes = p.nodes ?? [];
  const size = p.size ?? (nodes.length > 0 ? p.total / nodes.length : p.total);
  if (nodes.length === 0) return { progress: size, total: size, message: `${humanBytes(size)}: no member node to deliver to` };
  // A node that has every byte but has not confirmed (verified, renamed) is not done: it counts one byte
  // short, so progress reaches the total only once every node is done.
  const bytesOf = (n: { bytes: number; done: boolean }) => (n.done ? size : Math.min(Math.max(0, n.bytes), Math.max(0, size - 1)));
  const progress = Math.floor(nodes.reduce((a, n) => a + bytesOf(n), 0) / nodes.length);
  const done = nodes.filter((n) => n.done).length;
  const head = `${done}/${nodes.length} node${nodes.length === 1 ? '' : 's'} done`;
  if (done === nodes.length) return { progress, total: size, message: `${head}; ${humanBytes(size)} on each` };
  const slowest = nodes.filter((n) => !n.done).reduce((a, n) => (bytesOf(n) < bytesOf(a) ? n : a));
  return { progress, total: size, message: `${head}; ${humanBytes(bytesOf(slowest))} of ${humanBytes(size)} on the slowest (${slowest.node})` };
}
