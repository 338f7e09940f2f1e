// One MCP server over the hub core: the tools, the skills library as
// resources, and log notifications to the client. Each transport (stdio,
// each HTTP session) gets its own instance.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Logger } from '../log.js';
import type { Hub } from '../mesh/hub/hub.js';
import { observeToolCalls } from '../ops/tool-calls.js';
import { AGENT_VERSION } from '../version.js';
import { registerCat } from '../tools/cat.js';
import { registerEdit } from '../tools/edit.js';
import { registerFind } from '../tools/find.js';
import { registerGrep } from '../tools/grep.js';
import { registerMv } from '../tools/mv.js';
import { registerRm } from '../tools/rm.js';
import { registerLs } from '../tools/ls.js';
import { registerPromoteSkill } from '../tools/promote-skill.js';
import { registerPush } from '../tools/push.js';
import { registerStatus } from '../tools/status.js';
import type { ToolContext } from '../tools/tool-shapes.js';
import { registerWrite } from '../tools/write.js';
import { rewriteSdkToolErrors } from './arg-errors.js';
import { forwardDrift, watchToolCalls } from './call-events.js';
import { ClientLog } from './client-log.js';
import { trackReadOnlyTools } from './http-plain-calls.js';
import { registerSkillResources } from './skill-resources.js';
import { checkToolSchemasSync } from './sync-schema-checks.js';

const INSTRUCTIONS = [
  'Mesh Assistant reaches files on several machines (nodes) grouped into sessions (shared workspaces).',
  'The hub keeps an authoritative mirror of each session; every member node keeps a copy.',
  'Start with `status` to learn the sessions and nodes. `ls` and `cat` read the mirror by default, one node with `node`, or every member with node "*".',
  '`write` stores a file on the mirror and every member; `push` sends a large file from the hub\'s source folders.',
  '`edit` replaces exact text in a file, `rm` deletes, `mv` renames (mirror and every member); `find` matches names, `grep` searches contents.',
  '`promote-skill` moves a session skill (a folder with SKILL.md) into the shared library, readable as skill://<name>.',
  'Paths are relative to the session root. Failed calls say CODE: message, followed by what to do next.',
].join(' ');

export function createMcpServer(hub: Hub, log: Logger): McpServer {
  const server = new McpServer({ name: 'mesh-assistant', title: 'Mesh Assistant', version: AGENT_VERSION }, { instructions: INSTRUCTIONS });
  const context: ToolContext = { hub, log };
  checkToolSchemasSync(server);
  observeToolCalls(server, hub.options.toolCalls);
  trackReadOnlyTools(server);
  rewriteSdkToolErrors(server);
  const clientLog = new ClientLog(server, log);
  watchToolCalls(server, hub, clientLog);
  for (const register of [registerStatus, registerLs, registerCat, registerWrite, registerPush, registerPromoteSkill]) register(server, context);
  for (const register of [registerEdit, registerRm, registerMv, registerFind, registerGrep]) register(server, context);
  registerSkillResources(server, hub);
  const stopDrift = forwardDrift(hub, clientLog);
  const previous = server.server.onclose;
  server.server.onclose = () => {
    stopDrift();
    previous?.();
  };
  return server;
}
