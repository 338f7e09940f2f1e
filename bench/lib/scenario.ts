// The shape every module in bench/scenarios exports; bench/run.ts loads them by name.

export interface ScenarioOptions {
  /** Small sizes and sample counts, for a smoke run of a few minutes. */
  quick: boolean;
}

export interface Scenario {
  /** Name used on the command line: `npm run bench -- <name>`. */
  name: string;
  /** One line: what is measured, against what. */
  describe: string;
  run(options: ScenarioOptions): Promise<void>;
}
