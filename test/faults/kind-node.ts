import type { FaultResult } from './model.js';
export async function runNodeProcess(_o: { seed: number; quick: boolean; log: (l: string) => void }): Promise<FaultResult[]> {
  return [];
}
