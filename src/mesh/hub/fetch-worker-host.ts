// The main thread's side of the fetch worker (fetch-worker.ts): starts it,
// answers its calls with the same rules as the main port (authentication,
// the open-call registry, transfer-serve.ts), counts the bytes it reports,
// restarts it after a crash (on the same port: nodes were told that one) and
// stops it with the hub. While the worker is down, nodes fetch on the main
// port (their fallback, fetch-route.ts).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MeshError, toMeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { faultValue } from '../faults.js';
import { addressInUse } from './address-in-use.js';
import { joinHostPort } from '../protocol/address.js';
import type { FetchWorkerData, MainToWorker, WorkerToMain } from './fetch-worker-wire.js';
import { checkListenAddress, type GrpcListenOptions } from './grpc-server.js';
import type { Principal } from './node-auth.js';
import type { OpenCall, OpenCalls } from './open-calls.js';
import { NODE_LOG_RATE, RateLimiter } from './rate-limit.js';
import { admitFetch, logFetchFailure, type FetchAdmission, type FetchDeps } from './transfer-serve.js';

/** A worker that does not listen within this long is given up (the main port serves alone), ms. */
const START_TIMEOUT_MS = 15_000;
/** Wait before restarting a crashed worker, ms; doubled per crash in a row, up to RESTART_MAX_MS. */
const RESTART_MS = 500;
const RESTART_MAX_MS = 30_000;
/** A worker that ran this long resets the restart delay, ms. */
const HEALTHY_MS = 60_000;

export interface FetchWorkerOptions extends GrpcListenOptions {
  deps: FetchDeps;
  /** The main port's authentication, from a call's `authorization` and `x-mesh-node` metadata. */
  verify(authorization: unknown, node: unknown): Promise<Principal>;
  calls: OpenCalls;
  log: Logger;
}

/** One stream of the worker, as main sees it. Guarded by main's loop only. */
interface Entry {
  gone: boolean;
  open?: OpenCall;
  closed?: () => void;
  admitted?: FetchAdmission;
}

/**
 * How to load the worker: the built `.js` beside this module (dist/), the
 * `.mjs` beside the MCP Bundle's single file (deploy/bundle/build.ts), else
 * the `.ts` source through tsx's loader (tests and benchmarks run from src/).
 */
function workerScript(): { script: string | URL; eval: boolean } {
  for (const name of ['./fetch-worker.js', './fetch-worker.mjs']) {
    const built = new URL(name, import.meta.url);
    if (existsSync(fileURLToPath(built))) return { script: built, eval: false };
  }
  // Node 20 does not run `--import tsx` for a worker's own execArgv; register tsx's hooks from a tiny ESM bootstrap instead.
  // The package's `esm/api` entry resolves to its CommonJS build through require; its ESM build sits beside it.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
  const ts = new URL('./fetch-worker.ts', import.meta.url).href;
  return { script: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(ts)}); });`, eval: true };
}

export class FetchWorkerHost {
  private worker: Worker | undefined;
  private readonly entries = new Map<number, Entry>();
  private readonly refusalLog = new RateLimiter(NODE_LOG_RATE);
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartMs = RESTART_MS;
  private crashFault = faultValue('fetch-worker-crash') !== undefined;
  private constructor(
    private readonly options: FetchWorkerOptions,
    private readonly host: string,
    /** Bound port; 0 while no worker listens. */
    private bound: number,
  ) {}

  /** Start the worker and wait until it listens; throws when it cannot (address in use, TLS files unreadable). */
  static async start(options: FetchWorkerOptions): Promise<FetchWorkerHost> {
    const { host, port } = checkListenAddress(options);
    const self = new FetchWorkerHost(options, host, port);
    await self.spawn(options.address);
    return self;
  }

  /** The port nodes are told to fetch on; 0 while the worker is down (nodes then use the main port). */
  get port(): number {
    return this.worker ? this.bound : 0;
  }

  get address(): string {
    return joinHostPort(this.host, this.bound);
  }

  private spawn(address: string): Promise<void> {
    const { script, eval: isEval } = workerScript();
    const data: FetchWorkerData = { address, tls: this.options.tls, crashAtFirstStream: this.crashFault };
    this.crashFault = false; // once per hub: the restarted worker serves
    const worker = new Worker(script, { eval: isEval, workerData: data, name: 'mesh-fetch' });
    const started = Date.now();
    return new Promise<void>((resolve, reject) => {
      let listening = false;
      const timer = setTimeout(() => fail(new Error(`the fetch worker did not listen within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      const fail = (err: Error) => {
        clearTimeout(timer);
        void worker.terminate();
        reject(addressInUse(err, address, '--grpc-fetch (MESH_GRPC_FETCH)') ?? err);
      };
      worker.on('message', (message: WorkerToMain) => {
        if (message.t === 'listening') {
          clearTimeout(timer);
          listening = true;
          this.bound = message.port;
          this.worker = worker;
          resolve();
        } else if (message.t === 'fatal') {
          if (!listening) fail(new Error(message.message));
        } else {
          this.onMessage(worker, message);
        }
      });
      worker.on('error', (err) => {
        if (!listening) return fail(err);
        this.options.log.error({ err: err.message }, 'fetch worker crashed; nodes fetch on the main port until it is back');
      });
      worker.on('exit', (code) => {
        if (!listening) return fail(new Error(`the fetch worker exited with code ${code} before listening`));
        this.onExit(worker, Date.now() - started);
      });
    });
  }

  /** The worker is gone: its streams are gone with it; restart it unless the hub stops. */
  private onExit(worker: Worker, livedMs: number): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    for (const [id, entry] of this.entries) this.drop(id, entry);
    if (!this.stopping) this.scheduleRestart(livedMs);
  }

  private scheduleRestart(livedMs: number): void {
    if (livedMs > HEALTHY_MS) this.restartMs = RESTART_MS;
    const delay = this.restartMs;
    this.restartMs = Math.min(RESTART_MAX_MS, this.restartMs * 2);
    this.options.log.warn({ delayMs: delay }, 'fetch worker exited; restarting it');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      // The same port: nodes were told it at attach.
      this.spawn(this.address).then(
        () => this.options.log.info({ grpcFetch: this.address }, 'fetch worker listening again'),
        (err: unknown) => {
          this.options.log.error({ err: toMeshError(err).message }, 'fetch worker did not restart; nodes fetch on the main port');
          this.scheduleRestart(0);
        },
      );
    }, delay);
  }

  private post(worker: Worker, message: MainToWorker): void {
    if (this.worker === worker) worker.postMessage(message);
  }

  private drop(id: number, entry: Entry): void {
    entry.gone = true;
    entry.closed?.();
    this.entries.delete(id);
  }

  private onMessage(worker: Worker, message: WorkerToMain): void {
    switch (message.t) {
      case 'open':
        return this.open(worker, message);
      case 'gate': {
        const entry = this.entries.get(message.id);
        if (!entry?.admitted || !entry.open) return;
        const { open, admitted } = entry;
        admitted.gate(message.index).then(
          (chunk) => {
            if (!entry.gone) this.post(worker, { t: 'chunk', id: message.id, index: message.index, ...chunk });
          },
          (err: unknown) => {
            if (entry.gone) return;
            const mesh = toMeshError(err);
            logFetchFailure(this.options.deps, open.principal.node, admitted.transferId, mesh);
            open.end(mesh);
          },
        );
        return;
      }
      case 'sent': {
        const entry = this.entries.get(message.id);
        if (!entry?.admitted) return;
        this.options.deps.countSent(entry.admitted.transferId, entry.admitted.node, message.bytes);
        for (const ms of message.served) this.options.deps.chunkServed?.(ms);
        return;
      }
      case 'failed': {
        const entry = this.entries.get(message.id);
        if (entry?.admitted) logFetchFailure(this.options.deps, entry.admitted.node, entry.admitted.transferId, new MeshError(message.error.code, message.error.message));
        return;
      }
      case 'closed': {
        const entry = this.entries.get(message.id);
        if (entry) this.drop(message.id, entry);
        return;
      }
      case 'stopped':
        return;
    }
  }

  /** The same steps as the main port's guard (grpc-server.ts) and handler (transfer-serve.ts). */
  private open(worker: Worker, message: Extract<WorkerToMain, { t: 'open' }>): void {
    const { id } = message;
    const entry: Entry = { gone: false };
    this.entries.set(id, entry);
    const { calls, deps, log } = this.options;
    const end = (err: MeshError) => this.post(worker, { t: 'end', id, error: { code: err.code, message: err.message } });
    const recheckedBefore = calls.rechecks;
    this.options.verify(message.authorization, message.node).then(
      (principal) => {
        if (entry.gone) return;
        const { open, closed } = calls.admit('fetch', principal, end, recheckedBefore);
        entry.open = open;
        entry.closed = closed;
        try {
          entry.admitted = admitFetch(message.request as never, open, deps, 'fetch port');
        } catch (err) {
          const mesh = toMeshError(err);
          open.end(mesh); // first: nothing after it may keep the stream open
          logFetchFailure(deps, principal.node, message.request.transferId, mesh);
          return;
        }
        const { gate: _gate, ...plan } = entry.admitted;
        this.post(worker, { t: 'admit', id, plan });
      },
      (err: unknown) => {
        if (entry.gone) return;
        // Refusals are logged within a budget per peer address, as on the main port.
        const mesh = toMeshError(err);
        if (this.refusalLog.take(message.peer.replace(/:\d+$/, ''))) log.warn({ peer: message.peer, call: 'fetch', port: 'fetch', err: mesh.message }, 'fetch refused');
        end(mesh);
      },
    ).catch((err: unknown) => {
      // A bug above must not become an unhandled rejection (it would end the hub), nor leave the stream open.
      log.error({ err: toMeshError(err).message }, 'fetch port request failed');
      end(toMeshError(err));
    });
  }

  /** Close the worker's listener (streams get a second to end, as on the main port), then end the thread. */
  async close(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return;
    const stopped = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 3_000);
      worker.on('message', (m: WorkerToMain) => m.t === 'stopped' && (clearTimeout(timer), resolve()));
      worker.once('exit', () => (clearTimeout(timer), resolve()));
    });
    worker.postMessage({ t: 'stop' } satisfies MainToWorker);
    await stopped;
    await worker.terminate();
  }
}
