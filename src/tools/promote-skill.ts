// `promote-skill`: move a session's skill into the hub's global skills
// library, leave a link in its place, and deliver it to every node.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { runTool } from '../mcp/tool-result.js';
import { sessionArg, type ToolContext } from './tool-shapes.js';

export function registerPromoteSkill(server: McpServer, { hub, log }: ToolContext): void {
  server.registerTool(
    'promote-skill',
    {
      title: 'Promote a skill to the library',
      description:
        'Promote a skill folder of a session (one holding a SKILL.md whose front matter has `name`, equal to the folder name, and `description`) into the global skills library: it is validated, moved into the library atomically, replaced in the session by a link to the library copy, and delivered to every node. Promoting the same content again changes nothing; a different skill under an existing name needs `replace: true`. Library skills are readable as skill://<name> resources.',
      inputSchema: {
        session: sessionArg,
        skill: z.string().min(1).max(4096).describe('The skill folder in the session: "skills/my-skill", or just "my-skill" for skills/my-skill.'),
        replace: z.boolean().optional().describe('Replace a different library skill of the same name (the old version is kept aside). Default false.'),
      },
      outputSchema: {
        session: z.string(),
        name: z.string(),
        version: z.number(),
        sha256: z.string().describe('content hash of the skill'),
        status: z.enum(['promoted', 'replaced', 'unchanged']),
        libraryPath: z.string().describe('library copy on the hub'),
        linkPath: z.string().describe('link left in the session mirror'),
        deliveringTo: z.array(z.string()).describe('nodes receiving the skill (now, or when they attach)'),
        kept: z
          .array(z.object({ path: z.string(), from: z.string(), changed: z.array(z.string()), added: z.array(z.string()), incomplete: z.boolean() }))
          .describe('session folders the link replaced that held files the library copy lacks: kept in the library (path relative to it), never deleted'),
      },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    ({ session, skill, replace }) =>
      runTool('promote-skill', log, async () => {
        const r = await hub.skills.promote(session, skill, { replace });
        const structured = { session: r.session, name: r.name, version: r.version, sha256: r.sha256, status: r.status, libraryPath: r.libraryPath, linkPath: r.linkPath, deliveringTo: r.deliveringTo, kept: r.kept };
        const nodes = r.deliveringTo.length ? `delivering to ${r.deliveringTo.join(', ')}` : 'no delivery needed';
        const kept = r.kept.length ? ` Files that differed from the library copy were kept in the library at ${r.kept.map((k) => k.path).join(', ')}.` : '';
        return { structured, text: `Skill "${r.name}" v${r.version} ${r.status} (resource skill://${r.name}); ${nodes}.${kept}` };
      }),
  );
}
