// On attach, a node removes the part files of deliveries the hub no longer
// has: a push cancelled or failed while the node was away, whose cancel the
// node never heard. The hub names the transfers it still has pending for the
// node; every other `.<name>.part-<id>` file is a leftover.
import { sweepFiles } from '../fs/sweep.js';

const PART_NAME = /^\..+\.part-([0-9a-f]{8,64})$/;

/** The transfer id of a part file's name (`.<name>.part-<id>`), or undefined for any other name. */
export function partTransferId(name: string): string | undefined {
  return PART_NAME.exec(name)?.[1];
}

/** Remove part files below `sessionsRoot` whose transfer `keep` rejects; returns their paths relative to it. */
export function sweepStaleParts(sessionsRoot: string, keep: (transferId: string) => boolean): Promise<string[]> {
  return sweepFiles(sessionsRoot, (name) => {
    const id = partTransferId(name);
    return id !== undefined && !keep(id);
  });
}
