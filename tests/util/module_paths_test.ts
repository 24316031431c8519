import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join, relative } from "node:path";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function* sources(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sources(path);
    else if (/\.(ts|js)$/.test(entry.name)) yield path;
  }
}

Deno.test("module-relative paths go through fileURLToPath (a project folder with a space works)", () => {
  // The pathname of a module URL keeps %20 for a space, and Deno's file APIs then
  // look for a folder literally named "%20".
  const offenders: string[] = [];
  for (const dir of ["lib", "tasks", "tests"]) {
    for (const file of sources(join(ROOT, dir))) {
      const text = Deno.readTextFileSync(file);
      if (/import\.meta\.url\)\.pathname|import\.meta\.url\)\s*\.pathname/.test(text)) {
        offenders.push(relative(ROOT, file));
      }
    }
  }
  assert.deepEqual(offenders, []);
  // And the conversion itself handles the space.
  assert.equal(fileURLToPath("file:///tmp/my%20project/x.ts"), "/tmp/my project/x.ts");
});
