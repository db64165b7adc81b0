// Copies the pinned xterm.js files ckat serve embeds into ../static/vendor.
// Run `npm ci && npm run build` here, then commit ../static/vendor.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "static", "vendor");
const files = {
  "@xterm/xterm/lib/xterm.js": "xterm.js",
  "@xterm/xterm/css/xterm.css": "xterm.css",
  "@xterm/xterm/LICENSE": "xterm.LICENSE",
  "@xterm/addon-fit/lib/addon-fit.js": "addon-fit.js",
};
mkdirSync(out, { recursive: true });
for (const [from, to] of Object.entries(files)) {
  // The source maps are not shipped, so their references go too.
  const text = readFileSync(join(here, "node_modules", from), "utf8")
    .replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, "\n");
  writeFileSync(join(out, to), text);
  console.log(`${from} -> static/vendor/${to}`);
}
