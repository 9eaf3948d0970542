/**
 * A local stand-in for the DynamoDB tables the platform's handlers use (the real-time table, the pollers'
 * de-duplication table), behind a genuine `DynamoDBClient` (`serveLocally`): the commands those handlers send
 * (GetItem, PutItem, UpdateItem, Query) with DynamoDB's key schema (`pk`, `sk`), expression semantics
 * (`dynamodb-expressions.ts`), error names (`ConditionalCheckFailedException`, `ResourceNotFoundException`,
 * `ValidationException`) and TTL (expired items are deleted by a sweep, later than their time, as DynamoDB does;
 * readers filter them as the handlers do). Nothing else: another command fails naming what is implemented.
 *
 * Each table is a JSON file under `<data dir>/dynamodb/`, written durably by {@link LocalDynamoDb.save} (the
 * consumer saves after each batch, before its checkpoint) or after every write (`autoSave`, the pollers').
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ResourceNotFoundException,
  type GetItemCommandInput,
  type PutItemCommandInput,
  type QueryCommandInput,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { REALTIME_TABLE } from "../../components/streaming/realtime-layout";
import { writeFileDurably } from "../lake/object-store";
import {
  applyUpdate,
  ExpressionError,
  type Item,
  parseCondition,
  Placeholders,
} from "./dynamodb-expressions";
import { LOCAL_CLIENT_CONFIG, serveLocally } from "./serve-locally";

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = REALTIME_TABLE;

class LocalTable {
  readonly items = new Map<string, Item>();
  dirty = false;

  constructor(
    readonly name: string,
    readonly file: string,
  ) {
    if (fs.existsSync(file)) {
      for (const item of JSON.parse(fs.readFileSync(file, "utf8")) as Item[])
        this.items.set(keyOf(item), item);
    }
  }

  save(): void {
    if (!this.dirty) return;
    const items = [...this.items.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    writeFileDurably(this.file, Buffer.from(`${JSON.stringify(items)}\n`));
    this.dirty = false;
  }
}

function keyOf(item: Item): string {
  const pk = item[PK]?.S;
  const sk = item[SK]?.S;
  if (pk === undefined || sk === undefined)
    throw Object.assign(
      new ExpressionError(
        "One or more parameter values were invalid: the key (pk, sk) must be given as strings",
      ),
    );
  return `${pk}\u0000${sk}`;
}

/** The key attributes of a request, and nothing else (DynamoDB refuses other attributes in a Key). */
function requestKey(key: Record<string, unknown> | undefined): string {
  const names = Object.keys(key ?? {});
  if (names.length !== 2 || !names.includes(PK) || !names.includes(SK))
    throw new ExpressionError("The provided key element does not match the schema");
  return keyOf(key as Item);
}

export class LocalDynamoDb {
  private readonly tables = new Map<string, LocalTable>();

  /**
   * @param dir where the tables' files live
   * @param now simulated clock (TTL is in simulated epoch seconds)
   */
  constructor(
    readonly dir: string,
    private readonly now: () => number,
  ) {}

  /** Creates (or opens) a table: the stack's tables exist before any handler runs, as after `pulumi up`. */
  createTable(name: string): void {
    if (this.tables.has(name)) return;
    fs.mkdirSync(this.dir, { recursive: true });
    this.tables.set(
      name,
      new LocalTable(name, path.join(this.dir, `${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.json`)),
    );
  }

  /** Items of a table (for tests and the summary). */
  items(name: string): Item[] {
    return [...this.table(name).items.values()];
  }

  /** Writes every table changed since the last save, durably. */
  save(): void {
    for (const table of this.tables.values()) table.save();
  }

  /** Deletes items whose TTL attribute is in the past (DynamoDB's TTL sweep); returns how many. */
  sweepExpired(): number {
    const nowSeconds = this.now() / 1000;
    let deleted = 0;
    for (const table of this.tables.values()) {
      for (const [key, item] of table.items) {
        const ttl = item[TTL]?.N;
        if (ttl !== undefined && Number(ttl) < nowSeconds) {
          table.items.delete(key);
          table.dirty = true;
          deleted++;
        }
      }
    }
    return deleted;
  }

  private table(name: string | undefined): LocalTable {
    const table = name === undefined ? undefined : this.tables.get(name);
    if (!table)
      throw new ResourceNotFoundException({
        message: `Requested resource not found: Table: ${name} not found (the local tables are ${[...this.tables.keys()].join(", ") || "none"})`,
        $metadata: {},
      });
    return table;
  }

  /** A `DynamoDBClient` answering from these tables; `autoSave` writes a table after each change. */
  client(options: { readonly autoSave?: boolean } = {}): DynamoDBClient {
    const written = (table: LocalTable) => {
      table.dirty = true;
      if (options.autoSave) table.save();
    };
    const placeholders = (input: {
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues?: Item;
    }) => new Placeholders(input.ExpressionAttributeNames, input.ExpressionAttributeValues);
    const check = (
      table: LocalTable,
      existing: Item | undefined,
      expression: string | undefined,
      p: Placeholders,
    ) => {
      if (expression === undefined) return;
      if (!parseCondition(expression, p)(existing))
        throw new ConditionalCheckFailedException({
          message: `The conditional request failed (table ${table.name})`,
          $metadata: {},
        });
    };
    return serveLocally(new DynamoDBClient(LOCAL_CLIENT_CONFIG), "DynamoDB", {
      GetItemCommand: (input: GetItemCommandInput) => {
        const item = this.table(input.TableName).items.get(requestKey(input.Key));
        return item ? { Item: structuredClone(item) } : {};
      },
      PutItemCommand: (input: PutItemCommandInput) => {
        const table = this.table(input.TableName);
        const key = keyOf(input.Item as Item);
        const p = placeholders(input);
        check(table, table.items.get(key), input.ConditionExpression, p);
        p.checkAllUsed();
        table.items.set(key, structuredClone(input.Item as Item));
        written(table);
        return {};
      },
      UpdateItemCommand: (input: UpdateItemCommandInput) => {
        const table = this.table(input.TableName);
        const key = requestKey(input.Key);
        const existing = table.items.get(key);
        const p = placeholders(input);
        check(table, existing, input.ConditionExpression, p);
        if (!input.UpdateExpression)
          throw new ExpressionError("the local DynamoDB needs an UpdateExpression");
        const { item, changed } = applyUpdate(input.UpdateExpression, p, {
          ...(existing ?? {}),
          ...(input.Key as Item),
        });
        p.checkAllUsed();
        table.items.set(key, item);
        written(table);
        const pick = (from: Item | undefined, names: readonly string[]) =>
          from && Object.fromEntries(names.filter((n) => from[n] !== undefined).map((n) => [n, from[n]!]));
        switch (input.ReturnValues ?? "NONE") {
          case "ALL_NEW":
            return { Attributes: structuredClone(item) };
          case "UPDATED_NEW":
            return { Attributes: pick(item, changed) };
          case "ALL_OLD":
            return existing ? { Attributes: structuredClone(existing) } : {};
          case "UPDATED_OLD":
            return { Attributes: pick(existing, changed) };
          default:
            return {};
        }
      },
      QueryCommand: (input: QueryCommandInput) => {
        const table = this.table(input.TableName);
        if (!input.KeyConditionExpression)
          throw new ExpressionError("the local DynamoDB queries by KeyConditionExpression only");
        if (input.IndexName || input.FilterExpression)
          throw new ExpressionError("the local DynamoDB does not implement indexes or filter expressions");
        const p = placeholders(input);
        const condition = parseCondition(input.KeyConditionExpression, p);
        p.checkAllUsed();
        const matching = [...table.items.values()]
          .filter((item) => condition(item))
          .sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
        if (input.ScanIndexForward === false) matching.reverse();
        const start = input.ExclusiveStartKey
          ? matching.findIndex((i) => keyOf(i) === keyOf(input.ExclusiveStartKey as Item)) + 1
          : 0;
        const page = matching.slice(start, input.Limit ? start + input.Limit : undefined);
        const more = start + page.length < matching.length;
        return {
          Items: page.map((i) => structuredClone(i)),
          Count: page.length,
          ScannedCount: page.length,
          ...(more ? { LastEvaluatedKey: { [PK]: page.at(-1)![PK]!, [SK]: page.at(-1)![SK]! } } : {}),
        };
      },
    });
  }
}
