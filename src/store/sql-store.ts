// The base class of the stores written over SqlDb (sql.ts).

import type { Row } from "./rows.ts";
import { asSql, type Dialect, type SqlDb, type SqlHandle } from "./sql.ts";

/** What every store starts from: the facade on its handle, the dialect, and mapped reads. */
export abstract class SqlStore {
  protected readonly db: SqlDb;

  constructor(handle: SqlHandle) {
    this.db = asSql(handle);
  }

  protected get d(): Dialect {
    return this.db.dialect;
  }

  /** The first row, mapped; undefined when there is none. `db` is a transaction's, if given. */
  protected async one<T>(sql: string, params: unknown[], map: (r: Row) => T, db: SqlDb = this.db): Promise<T | undefined> {
    const r = await db.get<Row>(sql, params);
    return r ? map(r) : undefined;
  }

  protected async many<T>(sql: string, params: unknown[], map: (r: Row) => T): Promise<T[]> {
    return (await this.db.all<Row>(sql, params)).map(map);
  }
}
