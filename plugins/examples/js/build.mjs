// Builds level.wasm from level.js and the JS helper (plugins/sdk/js) with componentize-js.
//   node build.mjs            the normal build: keeps the `stdio` feature, so console.log and
//                             uncaught errors reach the host's standard error (WASI imports)
//   node build.mjs --pure     every WASI feature disabled: the component imports nothing
// Needs `npm install` here first (see ../README.md, "Toolchains").
import { componentize } from '@bytecodealliance/componentize-js';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const pure = process.argv.includes('--pure');
const unknown = process.argv.slice(2).filter((a) => a !== '--pure');
if (unknown.length) {
  console.error(`build.mjs: unknown argument ${unknown[0]}`);
  process.exit(2);
}

// componentize-js reads the source's imports from its folder: put the plugin and the helper
// side by side in build/ (gitignored).
const build = join(here, 'build');
await mkdir(build, { recursive: true });
await copyFile(join(root, 'plugins', 'sdk', 'js', 'sluice.js'), join(build, 'sluice.js'));
await copyFile(join(here, 'level.js'), join(build, 'level.js'));

const disableFeatures = ['random', 'clocks', 'http', 'fetch-event'];
if (pure) disableFeatures.push('stdio');
const { component } = await componentize({
  sourcePath: join(build, 'level.js'),
  witPath: join(root, 'wit'),
  worldName: 'plugin',
  disableFeatures,
});
await writeFile(join(here, 'level.wasm'), component);
console.log(`built ${join(here, 'level.wasm')} (${component.length} bytes${pure ? ', pure' : ''})`);
