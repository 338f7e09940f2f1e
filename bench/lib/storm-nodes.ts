// Many node agents in one process, for the attach-storm scenario: N NodeAgent
// instances, each with its own workspace, manifest rescans off. grpc-js
// shares one subchannel (one TCP connection) between clients with the same
// target and options, so N agents cost N streams, not N connections.
//
//   node --import tsx bench/lib/storm-nodes.ts --hub 127.0.0.1:P --count 1000 --root DIR --session S
//   stdout: {"round":1,"attached":1000,"ms":...} each time every agent has attached `round` times
import { parseArgs } from 'node:util';
import { NodeAgent } from '../../src/mesh/node/agent.js';
import { BENCH_TOKEN } from './mesh.js';

const { values } = parseArgs({
  options: {
    hub: { type: 'string' },
    count: { type: 'string', default: '1000' },
    root: { type: 'string' },
    session: { type: 'string', default: 'storm' },
  },
});

const count = Number(values.count);
const started = performance.now();
/** attaches[i]: how many times agent i has attached so far. */
const attaches = new Array<number>(count).fill(0);
let reportedRound = 0;

function check(): void {
  const round = Math.min(...attaches);
  while (reportedRound < round) {
    reportedRound++;
    process.stdout.write(`${JSON.stringify({ round: reportedRound, attached: count, ms: performance.now() - started })}\n`);
  }
}

const agents: NodeAgent[] = [];
for (let i = 0; i < count; i++) {
  const agent = new NodeAgent({
    hub: values.hub!,
    nodeId: `storm-${i}`,
    token: BENCH_TOKEN,
    workspace: `${values.root!}/a${i}`,
    sessions: [values.session!],
    scanIntervalMs: 0,
  });
  agent.on('attached', () => {
    attaches[i]!++;
    check();
  });
  agents.push(agent);
}
await Promise.all(agents.map((a) => a.start()));
process.stdout.write(`${JSON.stringify({ started: count, ms: performance.now() - started })}\n`);

// Progress for a stuck run: how many have attached in the current round.
const progress = setInterval(() => {
  const round = reportedRound + 1;
  process.stderr.write(`${JSON.stringify({ waitingRound: round, attached: attaches.filter((a) => a >= round).length, of: count })}\n`);
}, 2_000);
progress.unref();

process.stdin.on('end', () => {
  void Promise.all(agents.map((a) => a.stop())).then(() => process.exit(0));
});
process.stdin.resume();
