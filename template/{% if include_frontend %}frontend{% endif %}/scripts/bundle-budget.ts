/**
 * The bundle budget: `bun run budget` after `bun run build`. Prints each chunk's size, raw and
 * gzipped, and fails when the JavaScript a first visit loads (the entry chunk and the chunks
 * index.html preloads with it) grows past BUDGET_KB gzipped. Pages loaded later are listed,
 * not budgeted: they are fetched when a user opens them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

// Set from the first measurement (about 147 kB), with a little room: raise it on purpose only.
const BUDGET_KB = 150;

const dist = process.argv[2] ?? "dist";
const html = readFileSync(join(dist, "index.html"), "utf8");
const initial = new Set(
  [
    ...html.matchAll(
      /<(?:script type="module"[^>]*src|link rel="modulepreload"[^>]*href)="\/([^"]+)"/g,
    ),
  ]
    .map((match) => match[1])
    .filter((path): path is string => path !== undefined),
);

const kb = (bytes: number) => bytes / 1000;
const rows = readdirSync(join(dist, "assets"))
  .filter((name) => name.endsWith(".js") || name.endsWith(".css"))
  .map((name) => {
    const content = readFileSync(join(dist, "assets", name));
    // Level 9, as Vite's own report.
    return { name, raw: content.length, gzip: gzipSync(content, { level: 9 }).length };
  })
  .sort((a, b) => b.gzip - a.gzip);

console.log("| Chunk | Loaded | Size (kB) | Gzip (kB) |");
console.log("|---|---|---:|---:|");
for (const row of rows) {
  // Names without their content hash, so the table reads the same from build to build.
  const name = row.name.replace(/-[\w-]{8}\.(js|css)$/, ".$1");
  const when =
    initial.has(`assets/${row.name}`) || row.name.endsWith(".css") ? "first visit" : "on demand";
  console.log(`| ${name} | ${when} | ${kb(row.raw).toFixed(2)} | ${kb(row.gzip).toFixed(2)} |`);
}

const firstVisit = rows
  .filter((row) => initial.has(`assets/${row.name}`))
  .reduce((total, row) => total + row.gzip, 0);
const verdict = `JavaScript of a first visit: ${kb(firstVisit).toFixed(2)} kB gzipped, budget ${BUDGET_KB} kB`;
if (initial.size === 0 || kb(firstVisit) > BUDGET_KB) {
  console.error(
    `${verdict}: over budget. Load the new code on demand, or raise BUDGET_KB on purpose.`,
  );
  process.exit(1);
}
console.log(`\n${verdict}.`);
