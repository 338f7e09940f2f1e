// What "green" means for each conformance scenario we hold ourselves to:
// every check SUCCESS or INFO; for server-sse-polling, no warning at all and
// no failure but the one about the suite's own test tool (test_reconnection,
// a tool only the suite's reference server has). Pure.

export interface Check {
  id: string;
  status: 'SUCCESS' | 'INFO' | 'WARNING' | 'FAILURE' | string;
  description?: string;
  errorMessage?: string;
}

export const REQUIRED_SCENARIOS = [
  'server-initialize',
  'ping',
  'tools-list',
  'resources-list',
  'logging-set-level',
  'dns-rebinding-protection',
  'server-sse-multiple-streams',
  'server-sse-polling',
] as const;

/** The one failure server-sse-polling reports for a server without the suite's test_reconnection tool. */
function isOwnTestToolFailure(c: Check): boolean {
  return c.id === 'incoming-sse-event' && c.errorMessage === 'Tool call failed';
}

export interface Verdict {
  green: boolean;
  /** Checks that keep the scenario from being green, "id: message". */
  problems: string[];
  /** Failures allowed by the rule above. */
  excused: string[];
}

export function verdict(scenario: string, checks: readonly Check[]): Verdict {
  const problems: string[] = [];
  const excused: string[] = [];
  if (checks.length === 0) problems.push('no checks reported');
  for (const c of checks) {
    if (c.status === 'SUCCESS' || c.status === 'INFO') continue;
    const line = `${c.id} ${c.status}: ${c.errorMessage ?? c.description ?? ''}`;
    if (scenario === 'server-sse-polling' && c.status === 'FAILURE' && isOwnTestToolFailure(c)) excused.push(line);
    else problems.push(line);
  }
  return { green: problems.length === 0, problems, excused };
}

/** The checks array of `conformance server --verbose` output (its first line is narration). */
export function parseChecks(output: string): Check[] {
  const start = output.indexOf('\n[');
  const end = output.lastIndexOf(']');
  if (start < 0 || end < start) return [];
  try {
    const parsed: unknown = JSON.parse(output.slice(start + 1, end + 1));
    return Array.isArray(parsed) ? (parsed as Check[]).filter((c) => typeof c?.id === 'string' && typeof c?.status === 'string') : [];
  } catch {
    return [];
  }
}
