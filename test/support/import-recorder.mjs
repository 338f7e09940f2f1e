// Module hooks that append every URL a process resolves to the file named by
// $MESH_IMPORT_LOG, one a line (synchronously: the process may exit at once).
// Loaded with `node --import <this file>`.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import process from 'node:process';

if (process.env.MESH_IMPORT_LOG) {
  const hooks = `
    import { appendFileSync } from 'node:fs';
    export async function resolve(specifier, context, next) {
      const resolved = await next(specifier, context);
      appendFileSync(${JSON.stringify(process.env.MESH_IMPORT_LOG)}, resolved.url + '\\n');
      return resolved;
    }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
  appendFileSync(process.env.MESH_IMPORT_LOG, '');
}
