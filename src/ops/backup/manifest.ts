/**
 * Every backup has a manifest beside it: what was dumped, from where, how
 * big, its checksum, and the row count of every table at the moment of the
 * dump, so that a restore can be checked against it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Engine } from '../../db/database.js';

export type BackupFormat = 'custom' | 'plain' | 'directory';
export const BACKUP_FORMATS: readonly BackupFormat[] = ['custom', 'plain', 'directory'];

export interface Verification {
  readonly at: string;
  readonly ok: boolean;
  readonly problems: readonly string[];
}

export interface Manifest {
  readonly name: string;
  /** The dump beside the manifest: a file, or a folder for the directory format. */
  readonly path: string;
  readonly format: BackupFormat;
  readonly engine: Engine;
  readonly database: string;
  readonly createdAt: string;
  readonly durationMs: number;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly serverVersion: string;
  readonly dumpedWith: string;
  readonly latestMigration: string | null;
  /** The tables asked for, or null for the whole database. */
  readonly tables: readonly string[] | null;
  readonly rowCounts: Readonly<Record<string, number>>;
  readonly verification: Verification | null;
}

const MANIFEST_SUFFIX = '.manifest.json';

export function manifestPathOf(dumpPath: string): string {
  return `${dumpPath}${MANIFEST_SUFFIX}`;
}

export async function writeManifest(manifest: Manifest): Promise<void> {
  await writeFile(manifestPathOf(manifest.path), `${JSON.stringify(manifest, null, 2)}\n`);
}

export async function readManifest(dumpOrManifest: string): Promise<Manifest> {
  const file = dumpOrManifest.endsWith(MANIFEST_SUFFIX)
    ? dumpOrManifest
    : manifestPathOf(dumpOrManifest);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new BackupError(
      `no backup manifest at ${file}: only backups made by \`chamahub db backup\` can be used here`,
    );
  }
  const manifest = JSON.parse(text) as Manifest;
  // The folder may have moved since: the dump is always next to its manifest.
  return { ...manifest, path: file.slice(0, -MANIFEST_SUFFIX.length) };
}

export async function listManifests(dir: string): Promise<Manifest[]> {
  const names = await readdir(dir).catch(() => []);
  const manifests = await Promise.all(
    names
      .filter((name) => name.endsWith(MANIFEST_SUFFIX))
      .map((name) => readManifest(path.join(dir, name))),
  );
  return manifests.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** sha256 of the dump; for a folder, of its files in name order. */
export async function checksumOf(dumpPath: string): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const info = await stat(dumpPath);
  const files = info.isDirectory()
    ? (await readdir(dumpPath)).sort().map((name) => path.join(dumpPath, name))
    : [dumpPath];
  for (const file of files) {
    if (info.isDirectory()) hash.update(path.basename(file));
    for await (const chunk of createReadStream(file)) {
      hash.update(chunk as Buffer);
      sizeBytes += (chunk as Buffer).length;
    }
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}

export class BackupError extends Error {
  override readonly name = 'BackupError';
}
