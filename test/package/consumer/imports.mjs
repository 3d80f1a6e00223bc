// Imports every entry point of voxstate as an application does, and reports each export and every
// package that was loaded on the way (a resolve hook sees each one), as one JSON line.
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const { port1, port2 } = new MessageChannel();
const loaded = new Set();
port1.on('message', (name) => loaded.add(name));
port1.unref();
register(
  'data:text/javascript,' +
    encodeURIComponent(`
      let port;
      export function initialize(data) { port = data.port; }
      export async function resolve(specifier, context, next) {
        const result = await next(specifier, context);
        const match = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(result.url);
        if (match) port.postMessage(match[1]);
        return result;
      }`),
  { data: { port: port2 }, transferList: [port2] },
);

const entries = {};
for (const entry of ['voxstate', 'voxstate/machines', 'voxstate/testing']) {
  const module = await import(entry);
  entries[entry] = { exports: Object.keys(module).sort(), undefined: Object.keys(module).filter((name) => module[name] === undefined) };
}
const { default: manifest } = await import('voxstate/package.json', { with: { type: 'json' } });
// Lets the hook's last messages arrive.
await new Promise((resolve) => setImmediate(resolve));
console.log(JSON.stringify({ entries, version: manifest.version, loaded: [...loaded].sort() }));
