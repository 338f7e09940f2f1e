// Fault kind "disk": strace attached to the running hub or node makes one
// kind of system call fail (fsync EIO, rename EIO, pwrite ENOSPC). Checks:
// the operation reports the error (a MeshError, a failed or retried
// delivery), the old file is intact, an fsync failure is never acknowledged
// as success, nothing temporary is left, and the mesh completes once the
// disk behaves again. Also the order fsync(file) < rename < fsync(folder) <
// acknowledgement, read from an strace log of a hub write and a node delivery.
import { randomBytes } from 'node:crypto';
import { contentHashOf } from '../../src/mesh/fs/content-hash.js';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { eventually } from '../support/processes.js';
import { attachStrace, checkDurableOrder, findMarker, parseTrace } from '../support/syscall-trace.js';
import { logLines, sha256File, startMesh, waitForFile, type Mesh } from '../mesh/transfer/helpers.js';
import type { FaultResult } from './model.js';
import { tempFiles } from './observe.js';

export interface DiskOptions {
  seed: number;
  quick: boolean;
  log: (line: string) => void;
}

/** The mesh's file hash (content hash) of what a file should hold. */
const sha = (data: string | Buffer): string => contentHashOf(data);
const SESSION = 's';

interface Ctx {
  mesh: Mesh;
  dir: string;
  step: number;
  /** Print what a fault produced (error codes, outcomes): the table's notes. */
  note: (line: string) => void;
}

/** Run one fault; an exception is a broken expectation, recorded, never thrown past the kind. */
async function fault(kind: string, name: string, fn: () => Promise<string[]>): Promise<FaultResult> {
  try {
    const broken = await fn();
    return { kind, name, survived: broken.length === 0, detail: broken };
  } catch (err) {
    return { kind, name, survived: false, detail: [String((err as Error)?.stack ?? JSON.stringify(err))] };
  }
}

const mirrorFile = (ctx: Ctx, rel: string) => path.join(ctx.mesh.dataDir, 'sessions', SESSION, rel);
const nodeFile = (ctx: Ctx, rel: string) => ctx.mesh.nodeFile('n0', SESSION, rel);

/** Write `content` and wait until the node holds it too: the "old file" of a fault. */
async function settle(ctx: Ctx, rel: string, content: string): Promise<void> {
  const result = await ctx.mesh.hub.call({ op: 'write', session: SESSION, path: rel, content });
  if (result.outcomes[0]?.status !== 'ok') throw new Error(`setup write of ${rel}: ${JSON.stringify(result.outcomes)}`);
}

async function noTemps(ctx: Ctx): Promise<string[]> {
  const hub = (await tempFiles(path.join(ctx.mesh.dataDir, 'sessions'))).map((t) => `hub: ${t}`);
  const node = (await tempFiles(ctx.mesh.workspace('n0'))).map((t) => `n0: ${t}`);
  return [...hub, ...node].map((t) => `temp file left: ${t}`);
}

/** A hub write while every hub fsync (or rename) fails: refused with a MeshError, old file intact, nothing sent. */
/**
 * With `folderOnly`, only fsync of the target's folder fails (strace -P): the
 * rename has happened by then, so the new bytes are visible, but the write
 * must still not be acknowledged.
 */
function hubWriteFault(ctx: Ctx, syscalls: string, errno: string, folderOnly = false): Promise<FaultResult> {
  const what = folderOnly ? 'folder fsync' : syscalls.split(',')[0];
  return fault('disk', `hub ${what} ${errno} during write`, async () => {
    const rel = `hub-${ctx.step++}.txt`;
    await settle(ctx, rel, 'old content');
    const only = folderOnly ? ['-P', path.dirname(mirrorFile(ctx, rel))] : [];
    const trace = await attachStrace(ctx.mesh.hub.child.pid!, path.join(ctx.dir, `hub-${ctx.step}.trace`), [...only, '-e', `trace=${syscalls}`, '-e', `inject=${syscalls}:error=${errno}`]);
    let answer: unknown;
    let error: any;
    try {
      answer = await ctx.mesh.hub.call({ op: 'write', session: SESSION, path: rel, content: 'new content' }, 30_000);
    } catch (err) {
      error = err;
    } finally {
      await trace.detach();
    }
    const broken: string[] = [];
    if (answer !== undefined) broken.push(`write acknowledged while ${syscalls} failed with ${errno}: ${JSON.stringify(answer)}`);
    else if (!error?.code) broken.push(`write failed without a MeshError code: ${JSON.stringify(error)}`);
    else ctx.note(`${errno} reported as ${error.code}: ${error.message}`);
    if (!folderOnly && (await sha256File(mirrorFile(ctx, rel))) !== sha('old content')) broken.push('the mirror file changed although the write failed');
    if ((await sha256File(nodeFile(ctx, rel))) !== sha('old content')) broken.push('the node file changed although the write failed');
    broken.push(...(await noTemps(ctx)));
    // The disk behaves again: the next write goes through, everywhere.
    await settle(ctx, rel, 'after the fault');
    if ((await sha256File(nodeFile(ctx, rel))) !== sha('after the fault')) broken.push('the write after the fault did not reach the node');
    return broken;
  });
}

/**
 * A delivery while the node's fsync (or pwrite) fails: the node reports it
 * (logs the failure, the hub never records `ok` for it while the fault
 * lasts), its old file is intact; once strace lets go, the retried delivery
 * lands and no part file is left.
 */
function nodeDeliveryFault(ctx: Ctx, syscalls: string, errno: string, push: boolean, folderOnly = false): Promise<FaultResult> {
  const what = folderOnly ? 'folder fsync' : syscalls.split(',')[0];
  return fault('disk', `node ${what} ${errno} during ${push ? 'push' : 'write'} delivery`, async () => {
    const rel = `node-${ctx.step++}.${push ? 'bin' : 'txt'}`;
    await settle(ctx, rel, 'old content');
    const node = ctx.mesh.nodes.get('n0')!;
    const seen = node.lines.length;
    const only = folderOnly ? ['-P', path.dirname(nodeFile(ctx, rel))] : [];
    const trace = await attachStrace(node.child.pid!, path.join(ctx.dir, `node-${ctx.step}.trace`), [...only, '-e', `trace=${syscalls}`, '-e', `inject=${syscalls}:error=${errno}`]);
    let expected: string;
    let answer: Promise<any>;
    const broken: string[] = [];
    try {
      if (push) {
        const data = randomBytes(5 * 1024 * 1024 + 12345); // two chunks
        await writeFile(path.join(ctx.mesh.sourceDir, rel), data);
        expected = sha(data);
        answer = ctx.mesh.hub.send({ op: 'push', session: SESSION, source: rel, dest: rel });
      } else {
        expected = sha('new content');
        answer = ctx.mesh.hub.send({ op: 'write', session: SESSION, path: rel, content: 'new content' });
      }
      answer.catch(() => {});
      // The node noticed: a failed attempt in its log (fetch interrupted, or the reply carried the error).
      const failedLine = await eventually(() => node.lines.slice(seen).find((l) => /"level":(40|50)/.test(l) && l.includes(errno === 'EIO' ? 'EIO' : 'ENOSPC')), 20_000, 50).catch(() => undefined);
      const hubSaw = logLines(ctx.mesh.hub, 'delivery attempt failed').length + logLines(ctx.mesh.hub, 'delivery failed').length;
      if (!failedLine && hubSaw === 0) broken.push(`no failure reported anywhere while ${syscalls} failed with ${errno}`);
      if (!folderOnly && (await sha256File(nodeFile(ctx, rel))) !== sha('old content')) broken.push('the node file changed while the disk failed');
      if (folderOnly) {
        // Keep failing until the hub gives its answer: no attempt may turn the failed fsync into ok.
        const during = await answer.catch(() => undefined);
        if (during?.outcomes?.[0]?.status === 'ok') broken.push('acknowledged ok although every fsync of the folder failed');
      }
    } finally {
      await trace.detach();
    }
    const result = await answer.catch((err: unknown) => ({ error: err }));
    const outcome = result?.outcomes?.[0];
    if (outcome?.status === 'ok') {
      // Acknowledged ok: then it must have been retried after the fault and be whole on the node now.
      if ((await sha256File(nodeFile(ctx, rel))) !== expected) broken.push('outcome ok but the node file is not the new version');
    } else {
      // Reported failed/offline: the caller saw it; the mesh must still converge or say so.
      ctx.note(`outcome while failing: ${JSON.stringify(outcome ?? result)}`);
    }
    // Either way the mirror has the new version. A delivery reported failed
    // is not retried by itself: the node gets the file when it re-attaches
    // (drift repair from the mirror). Check that it does.
    if (outcome?.status !== 'ok') {
      await node.kill('SIGTERM');
      await ctx.mesh.startNode({ id: 'n0', sessions: [SESSION] });
    }
    await waitForFile(nodeFile(ctx, rel), expected, 20_000).catch(() => broken.push(`the node never received ${rel} after the fault ended (outcome ${JSON.stringify(outcome ?? result)})`));
    await eventually(async () => (await noTemps(ctx)).length === 0, 10_000).catch(async () => broken.push(...(await noTemps(ctx))));
    return broken;
  });
}

const ORDER_TRACE = 'trace=fsync,fdatasync,rename,renameat,renameat2,openat,mkdir,mkdirat,write';

/** fsync(temp) < rename < fsync(folder) < the driver's answer on stdout, for a hub write into a new folder. */
function hubOrder(ctx: Ctx): Promise<FaultResult> {
  return fault('disk', 'order: hub write (strace log)', async () => {
    const rel = `order-${ctx.step++}/deep/file.txt`;
    const file = path.join(ctx.dir, `order-hub-${ctx.step}.trace`);
    const trace = await attachStrace(ctx.mesh.hub.child.pid!, file, ['-s', '2048', '-e', ORDER_TRACE]);
    try {
      await ctx.mesh.hub.call({ op: 'write', session: SESSION, path: rel, content: 'ordered' });
      // The answer can reach us before strace has logged the write(2) that sent it (the tracee is stopped
      // at that syscall's exit until strace resumes it): one more answer from the same thread proves it was.
      await ctx.mesh.hub.call({ op: 'status' });
    } finally {
      await trace.detach();
    }
    const calls = parseTrace(await readFile(file, 'utf8'));
    const ack = calls.find((c) => c.name === 'write' && /^1\b/.test(c.args) && c.args.includes('\\"result\\"') && c.args.includes(rel));
    return checkDurableOrder(calls, mirrorFile(ctx, rel), ack);
  });
}

/** The same order on a node for a chunked delivery: fsync(part) < rename < fsync(folder) < its "delivered" log line. */
function nodeOrder(ctx: Ctx): Promise<FaultResult> {
  return fault('disk', 'order: node delivery (strace log)', async () => {
    const rel = `order-${ctx.step++}/pushed.bin`;
    const data = randomBytes(5 * 1024 * 1024);
    await writeFile(path.join(ctx.mesh.sourceDir, `order-${ctx.step}.bin`), data);
    const node = ctx.mesh.nodes.get('n0')!;
    const file = path.join(ctx.dir, `order-node-${ctx.step}.trace`);
    const trace = await attachStrace(node.child.pid!, file, ['-s', '2048', '-e', ORDER_TRACE]);
    try {
      const result = await ctx.mesh.hub.call({ op: 'push', session: SESSION, source: `order-${ctx.step}.bin`, dest: rel });
      if (result.outcomes[0]?.status !== 'ok') return [`push outcome ${JSON.stringify(result.outcomes)}`];
    } finally {
      await trace.detach();
    }
    const calls = parseTrace(await readFile(file, 'utf8'));
    const ack = calls.find((c) => c.name === 'write' && /^2\b/.test(c.args) && c.args.includes('\\"msg\\":\\"delivered\\"'));
    return checkDurableOrder(calls, nodeFile(ctx, rel), ack ?? findMarker(calls, '"msg":"delivered"'));
  });
}

export async function runDisk(options: DiskOptions): Promise<FaultResult[]> {
  const mesh = await startMesh();
  const ctx: Ctx = { mesh, dir: mesh.root, step: 0, note: (line) => options.log(`       ${line}`) };
  const results: FaultResult[] = [];
  const record = (r: FaultResult) => {
    results.push(r);
    options.log(`  ${r.survived ? 'ok  ' : 'LOST'} ${r.name}`);
  };
  try {
    await mesh.startNode({ id: 'n0', sessions: [SESSION] });
    // Quick mode keeps one of each shape (order, hub refusal, node failure, node retry); full adds the rest.
    record(await hubOrder(ctx));
    record(await nodeOrder(ctx));
    record(await hubWriteFault(ctx, 'fsync,fdatasync', 'EIO'));
    record(await hubWriteFault(ctx, 'fsync,fdatasync', 'EIO', true));
    record(await nodeDeliveryFault(ctx, 'fsync,fdatasync', 'EIO', false));
    record(await nodeDeliveryFault(ctx, 'pwrite64,pwritev', 'ENOSPC', true));
    if (!options.quick) {
      record(await hubWriteFault(ctx, 'rename,renameat,renameat2', 'EIO'));
      record(await nodeDeliveryFault(ctx, 'fsync,fdatasync', 'EIO', true, true));
      record(await nodeDeliveryFault(ctx, 'fsync,fdatasync', 'EIO', true));
      record(await nodeDeliveryFault(ctx, 'rename,renameat,renameat2', 'EIO', true));
    }
    return results;
  } finally {
    await mesh.close();
  }
}
