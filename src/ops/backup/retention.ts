/**
 * Which backups to remove: those older than keepDays, but never one of the
 * newest keepLast, and never the newest backup that passed verification.
 */
import { rm } from 'node:fs/promises';
import { manifestPathOf, type Manifest } from './manifest.js';

export interface RetentionPolicy {
  readonly keepDays: number;
  readonly keepLast: number;
}

export interface PruneDecision {
  readonly remove: readonly Manifest[];
  readonly keep: readonly { readonly manifest: Manifest; readonly why: string }[];
}

export function decidePrune(
  manifests: readonly Manifest[],
  policy: RetentionPolicy,
  now: Date = new Date(),
): PruneDecision {
  const newestFirst = [...manifests].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const newestVerified = newestFirst.find((manifest) => manifest.verification?.ok);
  const cutoff = now.getTime() - policy.keepDays * 24 * 60 * 60 * 1000;
  const remove: Manifest[] = [];
  const keep: { manifest: Manifest; why: string }[] = [];
  newestFirst.forEach((manifest, index) => {
    if (manifest === newestVerified) keep.push({ manifest, why: 'the newest verified backup' });
    else if (index < policy.keepLast)
      keep.push({ manifest, why: `one of the newest ${policy.keepLast}` });
    else if (Date.parse(manifest.createdAt) >= cutoff)
      keep.push({ manifest, why: `younger than ${policy.keepDays} days` });
    else remove.push(manifest);
  });
  return { remove, keep };
}

export async function removeBackup(manifest: Manifest): Promise<void> {
  await rm(manifest.path, { recursive: true, force: true });
  await rm(manifestPathOf(manifest.path), { force: true });
}
