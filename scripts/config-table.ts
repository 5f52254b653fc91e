// Rewrites the configuration table in README.md from the config schema, between its markers.
import { readFileSync, writeFileSync } from "node:fs";
import { markdownTable } from "../src/config.ts";

const path = new URL("../README.md", import.meta.url);
const readme = readFileSync(path, "utf8");
const begin = "<!-- config-table:begin -->";
const end = "<!-- config-table:end -->";
const at = readme.indexOf(begin);
const to = readme.indexOf(end);
if (at < 0 || to < at) throw new Error(`README.md lacks the ${begin} ... ${end} markers`);
writeFileSync(path, `${readme.slice(0, at + begin.length)}\n${markdownTable()}\n${readme.slice(to)}`);
console.log("README.md configuration table updated");
