// Incoming requests and notifications handed to the SDK's handlers without
// its two response checks. The SDK's Protocol sorts every message by trying
// it against the response schemas first: a request fails both, and a failed
// zod 4 parse builds an error object with its issues, which made about a
// tenth of the hub's time for a `cat` (0.08 ms of CPU a call). A message
// with neither a `result` nor an `error` key can never pass them, so for such
// a message we go straight to the SDK's next checks (isJSONRPCRequest, then
// isJSONRPCNotification) and its own handlers: the same sorting with the same
// outcome. Anything else (responses, and whatever fits no kind) takes the
// SDK's path unchanged.
//
// This reaches two methods the SDK does not publish (`_onrequest`,
// `_onnotification`). When a new SDK lacks them, nothing is switched and the
// SDK's path serves every message; a test pins that the switch is made with
// the SDK this project ships.
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isJSONRPCNotification, isJSONRPCRequest, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

type Extra = Parameters<NonNullable<Transport['onmessage']>>[1];

interface ProtocolInternals {
  _onrequest?: (message: unknown, extra?: Extra) => void;
  _onnotification?: (message: unknown) => void;
  transport?: Transport;
}

/** Whether the message can only be a request or a notification (or nothing valid). */
function cannotBeResponse(message: JSONRPCMessage): boolean {
  return typeof message === 'object' && message !== null && !('result' in message) && !('error' in message);
}

/**
 * `server.connect(transport)`, then the transport switched to the short
 * path. Resolves whether the switch was made.
 */
export async function connectDispatchingDirectly(server: Server, transport: Transport): Promise<boolean> {
  // The SDK calls a handler set on the transport before connect ahead of its own; the short path would skip it.
  const ownHandler = transport.onmessage !== undefined;
  await server.connect(transport);
  const internals = server as unknown as ProtocolInternals;
  const sdkOnMessage = transport.onmessage;
  if (ownHandler || internals.transport !== transport || !sdkOnMessage) return false;
  if (typeof internals._onrequest !== 'function' || typeof internals._onnotification !== 'function') return false;
  const onRequest = internals._onrequest.bind(server);
  const onNotification = internals._onnotification.bind(server);
  transport.onmessage = (message, extra) => {
    if (cannotBeResponse(message)) {
      if (isJSONRPCRequest(message)) return onRequest(message, extra);
      if (isJSONRPCNotification(message)) return onNotification(message);
    }
    sdkOnMessage(message, extra);
  };
  return true;
}
