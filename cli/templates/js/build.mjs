// Builds {{name}}.wasm from plugin.js and the helper (sluice.js) with componentize-js, which
// bundles a JavaScript engine into the component. The `stdio` feature is kept, so console.log
// and uncaught errors reach sluice's standard error (WASI imports, granted nothing else).
import { componentize } from '@bytecodealliance/componentize-js';
import { writeFile } from 'node:fs/promises';

const { component } = await componentize({
  sourcePath: 'plugin.js',
  witPath: 'wit',
  worldName: 'plugin',
  disableFeatures: ['random', 'clocks', 'http', 'fetch-event'],
});
await writeFile('{{name}}.wasm', component);
console.log(`built {{name}}.wasm (${component.length} bytes)`);
