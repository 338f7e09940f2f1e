// A network namespace joined to this one by a veth pair on a private /30,
// for faults that need a real link: a node runs inside, and the suite can
// blackhole the link (iptables DROP inside the namespace: packets vanish, no
// RST, no ICMP), or shape it with `tc tbf`. Needs root, `ip`, `iptables`
// and `tc`; everything made here is removed by `destroy()` (deleting the
// namespace deletes both ends of the pair).
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Netns {
  name: string;
  /** This side's address of the link (listen here to be reachable from inside). */
  hostAddr: string;
  /** The namespace's address. */
  nsAddr: string;
  /** argv prefix that runs a command inside the namespace. */
  execPrefix: string[];
  /** Drop every packet on the link, both ways, silently. */
  blackhole(): Promise<void>;
  heal(): Promise<void>;
  /** Token-bucket shaping of both directions (`rate` as tc says it: "1mbit"). */
  shape(rate: string): Promise<void>;
  unshape(): Promise<void>;
  destroy(): Promise<void>;
}

/** Why namespaces cannot be used here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  for (const tool of ['ip', 'iptables', 'tc']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is missing (apt-get install iproute2 iptables)`;
  }
  return undefined;
}

/** `index` (0-63) picks the /30 (10.231.index.0/30) and the names; one index per live namespace. */
export async function createNetns(index: number): Promise<Netns> {
  const name = `meshf${process.pid % 10_000}x${index}`;
  const hostIf = `mfh${process.pid % 10_000}x${index}`;
  const nsIf = `mfn${process.pid % 10_000}x${index}`;
  const hostAddr = `10.231.${index}.1`;
  const nsAddr = `10.231.${index}.2`;
  const ip = (...args: string[]) => run('ip', args);
  const inNs = (...args: string[]) => run('ip', ['netns', 'exec', name, ...args]);
  await ip('netns', 'add', name);
  try {
    await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    await ip('link', 'set', nsIf, 'netns', name);
    await ip('addr', 'add', `${hostAddr}/30`, 'dev', hostIf);
    await ip('link', 'set', hostIf, 'up');
    await inNs('ip', 'addr', 'add', `${nsAddr}/30`, 'dev', nsIf);
    await inNs('ip', 'link', 'set', nsIf, 'up');
    await inNs('ip', 'link', 'set', 'lo', 'up');
  } catch (err) {
    await ip('netns', 'del', name).catch(() => {});
    await ip('link', 'del', hostIf).catch(() => {});
    throw err;
  }
  const rules = [
    ['INPUT', '-i'],
    ['OUTPUT', '-o'],
  ] as const;
  let holed = false;
  let shaped = false;
  return {
    name,
    hostAddr,
    nsAddr,
    execPrefix: ['ip', 'netns', 'exec', name],
    async blackhole() {
      if (holed) return;
      for (const [chain, dir] of rules) await inNs('iptables', '-I', chain, dir, nsIf, '-j', 'DROP');
      holed = true;
    },
    async heal() {
      if (!holed) return;
      for (const [chain, dir] of rules) await inNs('iptables', '-D', chain, dir, nsIf, '-j', 'DROP');
      holed = false;
    },
    async shape(rate) {
      // burst about 20 ms of the rate, latency bounds the queue: what a slow uplink looks like.
      const args = ['root', 'tbf', 'rate', rate, 'burst', '16kb', 'latency', '400ms'];
      await run('tc', ['qdisc', shaped ? 'change' : 'add', 'dev', hostIf, ...args]);
      await inNs('tc', 'qdisc', shaped ? 'change' : 'add', 'dev', nsIf, ...args);
      shaped = true;
    },
    async unshape() {
      if (!shaped) return;
      await run('tc', ['qdisc', 'del', 'dev', hostIf, 'root']);
      await inNs('tc', 'qdisc', 'del', 'dev', nsIf, 'root');
      shaped = false;
    },
    async destroy() {
      await ip('netns', 'del', name).catch(() => {});
      await ip('link', 'del', hostIf).catch(() => {}); // gone with the namespace already, normally
    },
  };
}
