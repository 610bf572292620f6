// Copies the browser builds of our npm dependencies into Django's static folder, where they are
// committed, so the dashboard runs on a machine with Python only. Run: npm ci && npm run vendor
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, "..", "src", "tradewire_dashboard", "static", "dashboard", "vendor");
const files = [
  ["lightweight-charts/dist/lightweight-charts.standalone.production.js", "lightweight-charts.standalone.production.js"],
  ["lightweight-charts/LICENSE", "lightweight-charts.LICENSE"],
];

mkdirSync(target, { recursive: true });
for (const [source, name] of files) {
  copyFileSync(join(here, "node_modules", source), join(target, name));
}
const { version } = JSON.parse(readFileSync(join(here, "node_modules", "lightweight-charts", "package.json"), "utf8"));
console.log(`vendored lightweight-charts ${version} into ${target}`);
