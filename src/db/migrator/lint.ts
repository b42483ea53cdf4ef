import type { MigrationFile } from './migration-files.js';
import { recordStatements } from './recorder.js';

export type LintRule =
  | 'index-not-concurrent'
  | 'drop-index-not-concurrent'
  | 'not-null-column-without-default'
  | 'set-not-null'
  | 'column-type-change'
  | 'constraint-not-valid'
  | 'rename'
  | 'drop-column'
  | 'drop-table'
  | 'missing-lock-timeout';

export interface LintFinding {
  readonly migration: string;
  readonly rule: LintRule;
  readonly message: string;
  readonly statement: string;
}

/**
 * Opting out of a rule for one statement takes a comment inside that
 * statement, with a reason:
 *   -- chamahub-lint: allow drop-column because the column was never read
 */
const OPT_OUT = /--\s*chamahub-lint:\s*allow\s+([a-z-]+)\s+because\s+\S.*$/gim;

const HOW = {
  'index-not-concurrent':
    'CREATE INDEX on an existing table blocks writes while it builds; use CREATE INDEX CONCURRENTLY in a migration with `export const transactional = false`',
  'drop-index-not-concurrent':
    'DROP INDEX takes an exclusive lock on the table; use DROP INDEX CONCURRENTLY in a non-transactional migration',
  'not-null-column-without-default':
    'adding a NOT NULL column without a DEFAULT fails on a table with rows; add it nullable, backfill, then validate',
  'set-not-null':
    'SET NOT NULL scans the whole table under an exclusive lock; add a CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL',
  'column-type-change':
    'changing a column type rewrites the table under an exclusive lock; add a new column, backfill, and switch over',
  'constraint-not-valid':
    'adding a foreign key or check constraint scans the table under lock; add it NOT VALID, then VALIDATE CONSTRAINT in a later migration',
  rename:
    'renaming breaks the running application that still uses the old name; add the new name, migrate readers, then drop the old',
  'drop-column':
    'dropping a column breaks running code that still reads it; stop using it first, then drop it in a later release',
  'drop-table':
    'dropping a table breaks running code that still reads it and loses its data; make sure nothing uses it',
  'missing-lock-timeout':
    'this migration locks an existing table; export `lockTimeout` (for example "5s") so it gives up instead of stalling every request queued behind it',
} as const satisfies Record<LintRule, string>;

/** Lints the `up` of each migration for operations that lock or break a live database. */
export async function lintMigrations(files: readonly MigrationFile[]): Promise<LintFinding[]> {
  const findings: LintFinding[] = [];
  for (const file of files) {
    const module = await file.load();
    const statements = (await recordStatements((db) => module.up(db))).flatMap((statement) =>
      splitStatements(statement.sql),
    );
    findings.push(...lintStatements(file.name, statements, module.lockTimeout !== undefined));
  }
  return findings;
}

export function lintStatements(
  migration: string,
  statements: readonly string[],
  declaresLockTimeout: boolean,
): LintFinding[] {
  const created = new Set<string>();
  for (const statement of statements) {
    const match = /\bCREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?("?[\w.]+"?)/i.exec(
      stripComments(statement),
    );
    if (match?.[1]) created.add(bare(match[1]));
  }
  const isExisting = (table: string | undefined) =>
    table !== undefined && !created.has(bare(table));

  const findings: LintFinding[] = [];
  let locksExistingTable = false;
  let setsLockTimeout = declaresLockTimeout;
  for (const statement of statements) {
    const code = stripComments(statement);
    const allowed = new Set(
      [...statement.matchAll(OPT_OUT)].map((match) => match[1]?.toLowerCase()),
    );
    const flag = (rule: LintRule) => {
      if (!allowed.has(rule)) {
        findings.push({ migration, rule, message: HOW[rule], statement: oneLine(statement) });
      }
    };
    if (/\block_timeout\b/i.test(code)) setsLockTimeout = true;

    const index =
      /\bCREATE\s+(?:UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?[\s\S]*?\bON\s+(?:ONLY\s+)?("?[\w.]+"?)/i.exec(
        code,
      );
    if (index && isExisting(index[2])) {
      locksExistingTable ||= !index[1];
      if (!index[1]) flag('index-not-concurrent');
    }
    const dropIndex = /\bDROP\s+INDEX\s+(CONCURRENTLY\s+)?/i.exec(code);
    if (dropIndex) {
      locksExistingTable ||= !dropIndex[1];
      if (!dropIndex[1]) flag('drop-index-not-concurrent');
    }
    const dropTable = /\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?("?[\w.]+"?)/i.exec(code);
    if (dropTable && isExisting(dropTable[1])) {
      locksExistingTable = true;
      flag('drop-table');
    }
    const alter = /\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?("?[\w.]+"?)([\s\S]*)$/i.exec(
      code,
    );
    if (!alter || !isExisting(alter[1])) continue;
    locksExistingTable = true;
    const action = alter[2] ?? '';
    const addColumn =
      /\bADD\s+(?:COLUMN\s+)?(?!CONSTRAINT\b|FOREIGN\b|CHECK\b|UNIQUE\b|PRIMARY\b)[\s\S]*/i.exec(
        action,
      );
    if (addColumn && /\bNOT\s+NULL\b/i.test(addColumn[0]) && !/\bDEFAULT\b/i.test(addColumn[0])) {
      flag('not-null-column-without-default');
    }
    if (/\bALTER\s+(?:COLUMN\s+)?"?\w+"?\s+SET\s+NOT\s+NULL\b/i.test(action)) flag('set-not-null');
    if (/\bALTER\s+(?:COLUMN\s+)?"?\w+"?\s+(?:SET\s+DATA\s+)?TYPE\b/i.test(action)) {
      flag('column-type-change');
    }
    if (
      /\bADD\s+(?:CONSTRAINT\s+"?\w+"?\s+)?(?:FOREIGN\s+KEY|CHECK)\b|\bREFERENCES\b/i.test(
        action,
      ) &&
      !/\bNOT\s+VALID\b/i.test(action)
    ) {
      flag('constraint-not-valid');
    }
    if (/\bRENAME\b/i.test(action)) flag('rename');
    if (/\bDROP\s+(?:COLUMN\s+)?(?!CONSTRAINT\b|DEFAULT\b|NOT\b|IDENTITY\b)"?\w+"?/i.test(action)) {
      flag('drop-column');
    }
  }
  if (locksExistingTable && !setsLockTimeout) {
    findings.push({
      migration,
      rule: 'missing-lock-timeout',
      message: HOW['missing-lock-timeout'],
      statement: '(whole migration)',
    });
  }
  return findings;
}

/** Splits SQL text on semicolons that end statements (not inside quotes or $$ bodies). */
export function splitStatements(text: string): string[] {
  const statements: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] ?? '';
    if (quote) {
      if (text.startsWith(quote, i)) {
        current += quote;
        i += quote.length - 1;
        quote = null;
        continue;
      }
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === '$') {
      const tag = /^\$\w*\$/.exec(text.slice(i))?.[0];
      if (tag) {
        quote = tag;
        current += tag;
        i += tag.length - 1;
        continue;
      }
    } else if (char === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      current += text.slice(i, stop);
      i = stop - 1;
      continue;
    } else if (char === ';') {
      if (current.trim()) statements.push(current.trim());
      current = '';
      continue;
    }
    current += char;
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}

function stripComments(statement: string): string {
  return statement.replace(/--[^\n]*/g, ' ');
}

function bare(name: string): string {
  return name
    .replace(/"/g, '')
    .replace(/^public\./, '')
    .toLowerCase();
}

function oneLine(statement: string): string {
  const text = stripComments(statement).replace(/\s+/g, ' ').trim();
  return text.length > 140 ? `${text.slice(0, 137)}...` : text;
}
