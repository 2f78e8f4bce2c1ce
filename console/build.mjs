// Builds the console into console/dist: esbuild bundles src/main.jsx (Preact, MSAL.js in a chunk of its
// own) into content-hashed files under assets/, and index.html is written to name them. `make setup` runs
// it; the Function App serves the result (shared/console.py). `node console/build.mjs --check` only
// bundles, to fail fast on a syntax or import error.
import { build } from "esbuild";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, "dist");
const check = process.argv.includes("--check");

if (!check) await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

const result = await build({
  entryPoints: [join(root, "src/main.jsx")],
  outdir: join(dist, "assets"),
  entryNames: "[name]-[hash]",
  chunkNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  target: ["chrome110", "firefox115", "safari16"],
  jsx: "automatic",
  jsxImportSource: "preact",
  minify: true,
  sourcemap: false,
  metafile: true,
  legalComments: "linked",
  write: !check,
  logLevel: "warning",
});

if (!check) {
  const outputs = Object.entries(result.metafile.outputs);
  const entry = outputs.find(([, out]) => out.entryPoint === "src/main.jsx" || out.entryPoint?.endsWith("main.jsx"));
  const script = relative(dist, entry[0]);
  const style = entry[1].cssBundle ? relative(dist, entry[1].cssBundle) : null;
  const template = await readFile(join(root, "src/index.html"), "utf8");
  const html = template
    .replace("<!--style-->", style ? `<link rel="stylesheet" href="/${style}">` : "")
    .replace("<!--script-->", `<script type="module" src="/${script}"></script>`);
  await writeFile(join(dist, "index.html"), html);
  const size = outputs.reduce((sum, [, out]) => sum + out.bytes, 0);
  console.log(`console built: /${script}${style ? `, /${style}` : ""} (${Math.round(size / 1024)} KiB in all)`);
}
