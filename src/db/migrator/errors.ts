/** Why migrating stopped; the CLI prints the message and exits 1. */
export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

export class MigrationFailedError extends MigrationError {
  constructor(
    readonly migrationName: string,
    readonly direction: 'up' | 'down',
    override readonly cause: unknown,
    readonly transactional: boolean,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `migration ${migrationName} (${direction}) failed: ${reason}` +
        (transactional
          ? '. It was rolled back; nothing of it was applied.'
          : '. It is not transactional: check what it left behind before running it again.'),
    );
    this.name = 'MigrationFailedError';
  }
}
