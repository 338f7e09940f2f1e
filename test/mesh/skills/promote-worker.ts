// A separate OS process that promotes skills, for the concurrency and crash
// tests. Two modes:
//   serve         read one JSON command a line on stdin ({ id, startAt?, options }),
//                 answer one JSON line on stdout ({ id, ok, result | code, message })
//   pause <json>  promote with the given options; at step `pauseAt`, print
//                 "at <step>" and wait until killed; otherwise print "done <json>".
//                 With `plant`, first write a file into the session's skill
//                 folder at step `plant.at` (something writing there mid-promotion).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { toMeshError } from '../../../src/errors.js';
import { promoteSkill, type PromoteOptions, type PromoteStep } from '../../../src/mesh/skills/skill-promote.js';

function send(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function serve(): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  send('ready');
  for await (const line of lines) {
    const command = JSON.parse(line) as { id: number; startAt?: number; options: PromoteOptions };
    void (async () => {
      const delay = (command.startAt ?? 0) - Date.now();
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      try {
        const result = await promoteSkill(command.options);
        send(JSON.stringify({ id: command.id, ok: true, result }));
      } catch (err) {
        const e = toMeshError(err);
        send(JSON.stringify({ id: command.id, ok: false, code: e.code, message: e.message }));
      }
    })();
  }
}

async function pause(json: string): Promise<void> {
  const { pauseAt, plant, ...options } = JSON.parse(json) as PromoteOptions & {
    pauseAt: PromoteStep;
    plant?: { at: PromoteStep; file: string; content: string };
  };
  // Keeps the process alive while it waits to be killed.
  setInterval(() => {}, 60_000);
  try {
    const result = await promoteSkill({
      ...options,
      stepHook: async (step) => {
        if (plant && step === plant.at) await writeFile(path.join(options.sessionRoot, options.skillPath, plant.file), plant.content);
        if (step !== pauseAt) return;
        send(`at ${step}`);
        await new Promise(() => {});
      },
    });
    send(`done ${JSON.stringify(result)}`);
  } catch (err) {
    send(`error ${JSON.stringify(toMeshError(err).toJSON())}`);
  }
  process.exit(0);
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'serve') await serve();
else if (mode === 'pause' && arg) await pause(arg);
else {
  process.stderr.write('usage: promote-worker serve | pause <json>\n');
  process.exit(2);
}
