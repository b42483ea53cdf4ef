import assert from 'node:assert/strict';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import ts from 'typescript';
import { readMigrationFiles } from '../../src/db/migrator/index.js';
import { makeMigrationFolder, type MigrationFolder } from '../support/migration-folder.js';

describe('migration checksums', () => {
  let source: MigrationFolder;
  let compiled: MigrationFolder;
  before(async () => {
    source = await makeMigrationFolder();
    compiled = await makeMigrationFolder();
    // Replace the copies with JavaScript, as `npm run build` would produce.
    for (const file of await readMigrationFiles(compiled.dir)) {
      const text = await readFile(file.path, 'utf8');
      const output = ts.transpileModule(text, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      await writeFile(file.path.replace(/\.ts$/, '.js'), output);
      await unlink(file.path);
    }
  });
  after(async () => {
    await source.remove();
    await compiled.remove();
  });

  it('are the same for the TypeScript source and the compiled build', async () => {
    const fromSource = await readMigrationFiles(source.dir);
    const fromBuild = await readMigrationFiles(compiled.dir);
    assert.ok(fromBuild.every((file) => file.path.endsWith('.js')));
    assert.deepEqual(
      fromBuild.map((file) => [file.name, file.checksum]),
      fromSource.map((file) => [file.name, file.checksum]),
    );
  });

  it('ignore comments but change with what the migration runs', async () => {
    const [before] = await readMigrationFiles(source.dir);
    const file = path.join(source.dir, '0001_initial_schema.ts');
    const text = await readFile(file, 'utf8');
    await writeFile(file, `// A note for reviewers.\n${text}`);
    const commented = (await readMigrationFiles(source.dir))[0];
    assert.equal(commented?.checksum, before?.checksum);
  });
});
