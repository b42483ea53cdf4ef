import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import { PgliteDialect } from './pglite-dialect.js';

/** The embedded engine parses int8 (money in cents, ids) to BigInt, exactly as the server driver does. */
const PARSERS = { [types.INT8]: (value: string) => BigInt(value) };

export interface OpenedPglite {
  readonly dialect: PgliteDialect;
  readonly pglite: PGlite;
  /** Releases the data folder for other ChamaHub processes. */
  readonly unlock: () => Promise<void>;
}

/** An in-memory embedded database, for tests and scratch work. */
export async function openPgliteInMemory(): Promise<OpenedPglite> {
  const pglite = await PGlite.create('memory://', { parsers: PARSERS });
  return { dialect: new PgliteDialect(pglite), pglite, unlock: () => Promise.resolve() };
}

/**
 * Opens the embedded database in `dataDir`. PGlite has no lock of its own and
 * two processes writing one folder would corrupt it, so ChamaHub holds a lock
 * file there for as long as the database is open.
 */
export async function openPgliteFolder(dataDir: string): Promise<OpenedPglite> {
  await mkdir(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, 'chamahub.lock');
  await takeFolderLock(lockPath, dataDir);
  try {
    const pglite = await PGlite.create(path.join(dataDir, 'pgdata'), { parsers: PARSERS });
    return {
      dialect: new PgliteDialect(pglite),
      pglite,
      unlock: () => rm(lockPath, { force: true }),
    };
  } catch (error) {
    await rm(lockPath, { force: true });
    throw error;
  }
}

export class DataFolderInUseError extends Error {
  constructor(dataDir: string, pid: number) {
    super(
      `The data folder ${dataDir} is in use by another ChamaHub process (pid ${pid}). ` +
        'Stop it first, or point CHAMAHUB_DATA_DIR at another folder.',
    );
    this.name = 'DataFolderInUseError';
  }
}

async function takeFolderLock(lockPath: string, dataDir: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && isRunning(holder)) {
        throw new DataFolderInUseError(dataDir, holder);
      }
      // The process that held the lock is gone (crash, kill -9): the lock is stale.
      await rm(lockPath, { force: true });
    }
  }
  throw new Error(`Could not lock the data folder ${dataDir}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
