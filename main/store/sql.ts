// A prepared statement with a name, prepared once per connection, that reports itself when it runs slowly.
import type Database from 'better-sqlite3';

export type SqlTiming = { slowQueryMs: number; log: (message: string) => void };

export class NamedStatement<Params extends unknown[], Row = never> {
  private readonly statement: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly name: string,
    sql: string,
    private readonly timing: SqlTiming,
  ) {
    this.statement = db.prepare(sql);
  }

  get(...params: Params): Row | undefined {
    return this.timed(() => this.statement.get(...params) as Row | undefined);
  }

  all(...params: Params): Row[] {
    return this.timed(() => this.statement.all(...params) as Row[]);
  }

  run(...params: Params): Database.RunResult {
    return this.timed(() => this.statement.run(...params));
  }

  private timed<T>(execute: () => T): T {
    const started = performance.now();
    try {
      return execute();
    } finally {
      const elapsed = performance.now() - started;
      if (elapsed > this.timing.slowQueryMs) this.timing.log(`Slow query ${this.name}: ${elapsed.toFixed(1)} ms`);
    }
  }
}
