// Bundles GraphiQL (React, Monaco and its workers) into ../../kgservice/api/static/graphiql/, the folder the
// service serves at /static/graphiql/. The output is committed, so installing kgservice needs no Node.js.
// Rebuild: `npm ci && npm run build` in this folder (docs/graphiql.md).
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const out = fileURLToPath(new URL('../../kgservice/api/static/graphiql/', import.meta.url));
await rm(out, { recursive: true, force: true });

const common = {
  bundle: true,
  minify: true,
  legalComments: 'linked',
  target: ['es2022'],
  outdir: out,
  logLevel: 'info',
  define: { 'process.env.NODE_ENV': '"production"' },
};

// The page and everything it imports, Monaco and prettier included, in one ES module: esbuild does not
// load the CSS of lazily imported chunks, so splitting would leave Monaco unstyled.
await build({
  ...common,
  entryPoints: { graphiql: 'src/main.jsx' },
  format: 'esm',
  jsx: 'automatic',
  loader: { '.ttf': 'file' },
  assetNames: '[name]-[hash]',
});

// Monaco's language services run in web workers, each its own classic script loaded from the same folder
// (src/main.jsx: MonacoEnvironment.getWorker).
await build({
  ...common,
  entryPoints: {
    'editor.worker': 'monaco-editor/esm/vs/editor/editor.worker.js',
    'json.worker': 'monaco-editor/esm/vs/language/json/json.worker.js',
    'graphql.worker': 'monaco-graphql/esm/graphql.worker.js',
  },
  format: 'iife',
});
