// Fault injection for the test suite, off unless MESH_FAULTS is set. Each
// fault names the place it acts; production code asks, never assumes.
//   corrupt-chunk=<index>   the hub flips one byte of that chunk the first
//                           time it is served for each transfer
//   slow-source=<ms>        staging waits this long before reading each
//                           chunk of a source file (a slow disk or share)
//   fetch-worker-crash      the hub's fetch worker exits when it admits its
//                           first stream, once per hub (it is restarted)
//   no-blake3               the process acts as if it had no BLAKE3 module
//                           (fs/blake3.ts): SHA-256 only
const spec = new Map<string, string>(
  (process.env.MESH_FAULTS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [k, v = ''] = s.split('=');
      return [k!, v] as [string, string];
    }),
);

export function faultValue(name: string): string | undefined {
  return spec.get(name);
}
