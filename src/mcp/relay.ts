// `hub --stdio` on a data folder another hub holds: instead of failing, this
// process serves its MCP client by relaying to that hub over Streamable HTTP,
// so any number of hosts on one machine share one mesh. A thin message pipe
// between the SDK's two transports: whatever the client sends (requests,
// notifications, answers to the hub's own requests) goes to the hub, and
// whatever the hub sends (results, progress, log messages, list_changed)
// comes back; nothing is interpreted beyond keeping track of unanswered
// requests. When the hub exits, the relay answers what is still pending and
// exits non-zero: the host starts the server again, and it then runs the hub.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { isJSONRPCErrorResponse, isJSONRPCRequest, isJSONRPCResultResponse, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../log.js';
import { holderAlive } from '../mesh/hub/data-lock.js';
import { watchHub, type RelayTarget } from './relay-target.js';
import { STDIO_MAX_MESSAGE_BYTES } from './stdio.js';

/** How long a relay that is stopping waits for the hub to close its MCP session, ms. */
const END_SESSION_MS = 2_000;
/** JSON-RPC error code of a request the relay could not get answered (the implementation-defined server range). */
const RELAY_ERROR = -32000;
/** HTTP answers after which this relay's session cannot go on: a refused token, or a session the hub no longer has. */
const FATAL_STATUS = new Set([401, 403, 404]);

export interface RelayOptions {
  target: RelayTarget;
  /** Bearer token for the hub's MCP endpoint (undefined: none is asked). */
  token: string | undefined;
  log: Logger;
}

/** Relay stdin/stdout to the hub until one side goes; resolves with the process's exit code. */
export async function relayStdio(options: RelayOptions): Promise<number> {
  const { target, log } = options;
  const hub = { pid: target.hub.pid, host: target.hub.host, mcp: target.url.href, grpc: target.hub.grpc };
  const client = new StdioServerTransport(process.stdin, process.stdout, { maxBufferSize: STDIO_MAX_MESSAGE_BYTES });
  const upstream = new StreamableHTTPClientTransport(target.url, {
    requestInit: options.token ? { headers: { authorization: `Bearer ${options.token}` } } : undefined,
  });
  /** The client's requests the hub has not answered yet: answered by the relay if the hub goes. */
  const pending = new Set<RequestId>();
  let initializeId: RequestId | undefined;
  const watch = watchHub(target.hub);
  let settle!: (code: number) => void;
  const exitCode = new Promise<number>((resolve) => (settle = resolve));
  let ending = false;

  const toClient = (message: JSONRPCMessage) => client.send(message).catch((err: unknown) => log.warn({ err: String(err) }, 'relay: writing to the MCP client failed'));
  const failRequest = (id: RequestId, message: string) => toClient({ jsonrpc: '2.0', id, error: { code: RELAY_ERROR, message, data: { code: 'HUB_UNREACHABLE', hub } } });

  const end = async (code: number, answerPending: string | undefined) => {
    if (ending) return;
    ending = true;
    watch.stop();
    if (answerPending) for (const id of pending) await failRequest(id, answerPending);
    pending.clear();
    // A client that left: the hub's session for it goes too (bounded: a hub that is gone does not answer).
    if (code === 0) await Promise.race([upstream.terminateSession().catch(() => {}), new Promise((resolve) => setTimeout(resolve, END_SESSION_MS).unref())]);
    await upstream.close().catch(() => {});
    settle(code);
  };

  client.onmessage = (message) => {
    if (isJSONRPCRequest(message)) {
      pending.add(message.id);
      if (message.method === 'initialize') initializeId = message.id;
      log.debug({ method: message.method, id: message.id }, 'relay: request to the hub');
    }
    upstream.send(message).catch(async (err: unknown) => {
      const status = err instanceof StreamableHTTPError ? err.code : undefined;
      // A connection the hub's exit cut: left pending, answered (and the relay ended) as the hub's exit says.
      if (status === undefined && !(await holderAlive(target.hub))) return;
      log.warn({ status, err: err instanceof Error ? err.message : String(err), method: 'method' in message ? message.method : undefined }, 'relay: the hub did not take a message');
      if (isJSONRPCRequest(message) && pending.delete(message.id)) void failRequest(message.id, `the hub (pid ${hub.pid}) did not take the request: ${err instanceof Error ? err.message : String(err)}`);
      if (status !== undefined && FATAL_STATUS.has(status)) {
        log.error(
          { hub, status },
          status === 404
            ? 'relay: the hub no longer has this MCP session; exiting so that the host starts the server again'
            : 'relay: the hub refused the bearer token (its MESH_HTTP_TOKEN differs from this process\'s, or <data>/http-token changed); exiting',
        );
        void end(1, 'the relay to the running hub ended');
      }
    });
  };
  upstream.onmessage = (message) => {
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
      if (message.id !== undefined) pending.delete(message.id);
      // The hub serves each request under the version agreed at initialize; later requests name it in their header.
      const version = isJSONRPCResultResponse(message) && message.id === initializeId ? message.result.protocolVersion : undefined;
      if (typeof version === 'string') upstream.setProtocolVersion(version);
    }
    void toClient(message);
  };
  // Stream drops are retried by the transport (Last-Event-ID); the hub's exit is seen by the watch.
  upstream.onerror = (err) => log.debug({ err: err.message }, 'relay: HTTP transport');
  client.onerror = (err) => log.warn({ err: err.message }, 'relay: stdio transport');

  await upstream.start();
  await client.start();
  log.info({ hub }, 'relaying MCP on stdio to the hub already running on this data folder');

  watch.gone.then(() => {
    if (ending) return;
    log.error(
      { hub, code: 'HUB_UNREACHABLE', unanswered: pending.size },
      'the hub this process relayed to has exited; exiting so that the MCP host starts the server again, which then runs the hub itself',
    );
    void end(1, `the hub (pid ${hub.pid}) exited before answering; the MCP host restarts the server`);
  });
  const leave = (why: string) => {
    if (ending) return;
    log.info({ why }, 'relay: MCP client went away; stopping');
    void end(0, undefined);
  };
  process.stdin.once('end', () => leave('stdin ended'));
  process.once('SIGTERM', () => leave('SIGTERM'));
  process.once('SIGINT', () => leave('SIGINT'));
  return exitCode;
}
