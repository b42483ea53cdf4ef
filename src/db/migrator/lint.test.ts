import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintStatements, splitStatements, type LintRule } from './lint.js';

const rulesOf = (statements: string[], declaresLockTimeout = true) =>
  lintStatements('0009_example', statements, declaresLockTimeout).map((finding) => finding.rule);

describe('the migration linter', () => {
  const cases: [LintRule, string][] = [
    ['index-not-concurrent', 'CREATE INDEX users_phone_idx ON users (phone)'],
    ['drop-index-not-concurrent', 'DROP INDEX users_phone_idx'],
    ['not-null-column-without-default', 'ALTER TABLE users ADD COLUMN nickname text NOT NULL'],
    ['set-not-null', 'ALTER TABLE users ALTER COLUMN phone SET NOT NULL'],
    ['column-type-change', 'ALTER TABLE users ALTER COLUMN phone TYPE varchar(20)'],
    [
      'constraint-not-valid',
      'ALTER TABLE contributions ADD CONSTRAINT c_fk FOREIGN KEY (recorded_by) REFERENCES users (id)',
    ],
    [
      'constraint-not-valid',
      'ALTER TABLE users ADD CONSTRAINT name_check CHECK (length(first_name) > 0)',
    ],
    ['rename', 'ALTER TABLE users RENAME COLUMN phone TO phone_number'],
    ['rename', 'ALTER TABLE users RENAME TO members'],
    ['drop-column', 'ALTER TABLE users DROP COLUMN phone'],
    ['drop-table', 'DROP TABLE sessions'],
  ];

  for (const [rule, statement] of cases) {
    it(`catches ${rule}: ${statement}`, () => {
      assert.deepEqual(rulesOf([statement]), [rule]);
    });

    it(`honours an opt-out with a reason for ${rule}`, () => {
      const allowed = `${statement}\n-- chamahub-lint: allow ${rule} because the table is empty in every deployment`;
      assert.deepEqual(rulesOf([allowed]), []);
    });
  }

  it('ignores an opt-out without a reason, or for another rule', () => {
    assert.deepEqual(rulesOf(['DROP TABLE sessions -- chamahub-lint: allow drop-table']), [
      'drop-table',
    ]);
    assert.deepEqual(
      rulesOf(['DROP TABLE sessions\n-- chamahub-lint: allow rename because reasons']),
      ['drop-table'],
    );
  });

  it('accepts the safe forms', () => {
    assert.deepEqual(
      rulesOf([
        'CREATE INDEX CONCURRENTLY users_phone_idx ON users (phone)',
        'DROP INDEX CONCURRENTLY users_phone_idx',
        "ALTER TABLE users ADD COLUMN nickname text NOT NULL DEFAULT ''",
        'ALTER TABLE users ADD COLUMN nickname text',
        'ALTER TABLE contributions ADD CONSTRAINT c_fk FOREIGN KEY (recorded_by) REFERENCES users (id) NOT VALID',
        'ALTER TABLE contributions VALIDATE CONSTRAINT c_fk',
        'ALTER TABLE users DROP CONSTRAINT name_check',
      ]),
      [],
    );
  });

  it('allows anything on a table the same migration creates', () => {
    assert.deepEqual(
      rulesOf(
        [
          'CREATE TABLE loans (id bigint PRIMARY KEY, member_id bigint NOT NULL)',
          'CREATE INDEX loans_member_idx ON loans (member_id)',
          'ALTER TABLE loans ADD CONSTRAINT loans_member_fk FOREIGN KEY (member_id) REFERENCES users (id)',
          'ALTER TABLE loans ALTER COLUMN member_id SET NOT NULL',
        ],
        false,
      ),
      [],
    );
  });

  it('requires a lock_timeout when an existing table is locked', () => {
    assert.deepEqual(rulesOf(['ALTER TABLE users ADD COLUMN nickname text'], false), [
      'missing-lock-timeout',
    ]);
    assert.deepEqual(
      rulesOf(["SET lock_timeout = '5s'", 'ALTER TABLE users ADD COLUMN nickname text'], false),
      [],
    );
    assert.deepEqual(rulesOf(['ALTER TABLE users ADD COLUMN nickname text'], true), []);
  });

  it('splits SQL on statement ends, not on semicolons inside quotes, comments or $$ bodies', () => {
    assert.deepEqual(
      splitStatements(
        'SELECT \'a;b\'; -- a comment; with a semicolon\nCREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql; SELECT "x;y"',
      ),
      [
        "SELECT 'a;b'",
        '-- a comment; with a semicolon\nCREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql',
        'SELECT "x;y"',
      ],
    );
  });
});
