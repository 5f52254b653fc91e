// `bun run docs`: rewrites the README's generated tables, each between its markers: the
// configuration table from the config schema, and the error table from the error catalog.
import { readFileSync, writeFileSync } from "node:fs";
import { markdownTable } from "../src/config-text.ts";
import { errorTable } from "../src/errors.ts";

const path = new URL("../README.md", import.meta.url);
let readme = readFileSync(path, "utf8");
for (const [name, table] of [
  ["config-table", markdownTable()],
  ["error-table", errorTable()],
] as const) {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const at = readme.indexOf(begin);
  const to = readme.indexOf(end);
  if (at < 0 || to < at) throw new Error(`README.md lacks the ${begin} ... ${end} markers`);
  readme = `${readme.slice(0, at + begin.length)}\n${table}\n${readme.slice(to)}`;
}
writeFileSync(path, readme);
console.log("README.md tables updated");
