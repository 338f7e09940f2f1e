// A strict reader of the Prometheus text exposition format (0.0.4), for
// tests: every line must be a HELP or TYPE comment or a sample, or it throws.
// Float values as Prometheus reads them (Go's ParseFloat: NaN in any case).
// Samples come back keyed `name{label="value",...}` as printed.

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const SAMPLE_RE = new RegExp(`^(${NAME})(\\{(?:${LABEL})(?:,${LABEL})*,?\\}|\\{\\})? (-?(?:[0-9.]+(?:e[+-]?[0-9]+)?|[nN][aA][nN]|\\+Inf|-Inf))(?: -?[0-9]+)?$`);
const HELP_RE = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE_RE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

export interface PromText {
  samples: Map<string, number>;
  types: Map<string, string>;
  /** Value of `name{labels}` exactly as printed, 0 when absent. */
  get(key: string): number;
}

export function parsePromText(text: string): PromText {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    const type = TYPE_RE.exec(line);
    if (type) {
      if (types.has(type[1]!)) throw new Error(`line ${i + 1}: second TYPE for ${type[1]}`);
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (HELP_RE.test(line)) continue;
    const m = SAMPLE_RE.exec(line);
    if (!m) throw new Error(`line ${i + 1} is not Prometheus text: ${JSON.stringify(line)}`);
    const key = `${m[1]}${m[2] && m[2] !== '{}' ? m[2] : ''}`;
    if (samples.has(key)) throw new Error(`line ${i + 1}: duplicate sample ${key}`);
    samples.set(key, Number(m[3]!.replace('+Inf', 'Infinity')));
  }
  return { samples, types, get: (key) => samples.get(key) ?? 0 };
}
